// kubectl, built from its Go module for the tests: `kubectl certdrift …` must find the plugin on
// PATH the way a user's kubectl does (scripts/kubectl-binary.sh; test/install/single-binary.test.ts).
// This is kubectl's own main (k8s.io/kubernetes/cmd/kubectl) against the published module.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
