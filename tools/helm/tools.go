//go:build tools

// The command this module builds (scripts/helm-binary.sh); listed here so `go mod tidy` keeps
// its dependencies.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
