#!/usr/bin/env bash
# Builds the real control plane the tests start, from Go modules pinned by go.mod + go.sum in
# tools/: Kubernetes' own kube-apiserver, kube-controller-manager, kube-scheduler and kubeadm
# (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3 through etcdmain), KWOK (sigs.k8s.io/kwok,
# the Kubernetes project's kubelet simulator); and copies the CustomResourceDefinitions of
# Cluster API and Karpenter out of those projects' modules. Everything goes into a cache outside
# the clone and is reused when the cache holds a build of the same inputs.
#
#   scripts/kube-binaries.sh           build if needed; print the directory on stdout
#   scripts/kube-binaries.sh --check   print the directory if it is complete, else exit 1
#   CERTDRIFT_CACHE                    cache root (default ~/.cache/certdrift)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tools="$here/tools"
cache="${CERTDRIFT_CACHE:-$HOME/.cache/certdrift}"
k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$tools/kube/go.mod")"
CAPI_VERSION=v1.13.6     # sigs.k8s.io/cluster-api: Machine, MachineSet, MachineDeployment, MHC, KCP
KARPENTER_VERSION=v1.14.1 # sigs.k8s.io/karpenter: NodeClaim, NodePool (v1.14.3+ need go1.26.10)
RECIPE=3                  # bump when this script's outputs change
stamp="$( { cat "$tools"/kube/go.mod "$tools"/kube/go.sum "$tools"/kube/cmd/etcd/main.go \
  "$tools"/kwok/go.mod "$tools"/kwok/go.sum; echo "$CAPI_VERSION $KARPENTER_VERSION $RECIPE"; } \
  | sha256sum | cut -c1-12)"
out="$cache/kube-$k8s_version-$stamp"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubeadm etcd kwok)

complete=1
for b in "${binaries[@]}"; do [ -x "$out/bin/$b" ] || complete=0; done
[ -f "$out/crds/karpenter.sh_nodeclaims.yaml" ] || complete=0
if [ "$complete" = 1 ]; then
  echo "$out"
  exit 0
fi
if [ "${1:-}" = --check ]; then exit 1; fi

command -v go >/dev/null || { echo "kube-binaries: Go 1.26+ is needed to build the control plane" >&2; exit 3; }
rm -rf "$out.tmp"
mkdir -p "$out.tmp/bin" "$out.tmp/crds" "$out.tmp/kwok-stages"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
start=$(date +%s)
echo "kube-binaries: building ${binaries[*]} ($k8s_version, $(go version | cut -d' ' -f3)) into $out" >&2
echo "kube-binaries: a cold build takes about 25 min on 2 cores; later runs reuse the cache" >&2
export GOFLAGS="-mod=mod -trimpath -buildvcs=false" CGO_ENABLED=0
(cd "$tools/kube" && go build -ldflags "$ldflags" -o "$out.tmp/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubeadm &&
  go build -ldflags "-s -w" -o "$out.tmp/bin/etcd" ./cmd/etcd)
(cd "$tools/kwok" && go build -ldflags "-s -w" -o "$out.tmp/bin/kwok" sigs.k8s.io/kwok/cmd/kwok)

# CRDs and KWOK's stage definitions, as their projects publish them in their modules.
moddir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
kwok_dir="$(cd "$tools/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
capi_dir="$(cd "$tools/kwok" && moddir "sigs.k8s.io/cluster-api@$CAPI_VERSION")"
karp_dir="$(cd "$tools/kwok" && moddir "sigs.k8s.io/karpenter@$KARPENTER_VERSION")"
for f in machines machinesets machinedeployments machinehealthchecks; do
  cp "$capi_dir/config/crd/bases/cluster.x-k8s.io_$f.yaml" "$out.tmp/crds/"
done
cp "$capi_dir/controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml" "$out.tmp/crds/"
cp "$karp_dir/pkg/apis/crds/karpenter.sh_nodeclaims.yaml" "$karp_dir/pkg/apis/crds/karpenter.sh_nodepools.yaml" "$out.tmp/crds/"
cp "$kwok_dir"/kustomize/stage/node/fast/node-initialize.yaml \
  "$kwok_dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  "$kwok_dir"/kustomize/stage/pod/fast/pod-ready.yaml \
  "$kwok_dir"/kustomize/stage/pod/fast/pod-complete.yaml "$out.tmp/kwok-stages/"
echo "$CAPI_VERSION $KARPENTER_VERSION kwok $(cd "$tools/kwok" && go list -m -f '{{.Version}}' sigs.k8s.io/kwok)" > "$out.tmp/VERSIONS"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "kube-binaries: done in $(( $(date +%s) - start )) s" >&2
echo "$out"
