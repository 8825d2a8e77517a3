#!/usr/bin/env bash
# Builds a real kubectl from its Go module (k8s.io/kubectl, pinned by tools/kubectl/go.mod +
# go.sum) into a cache outside the clone, for the test that runs `kubectl certdrift` from PATH
# (test/install/single-binary.test.ts). Reused when the cache holds a build of the same inputs.
#
#   scripts/kubectl-binary.sh           build if needed; print the kubectl path on stdout
#   scripts/kubectl-binary.sh --check   print the path if it is built, else exit 1
#   CERTDRIFT_CACHE                     cache root (default ~/.cache/certdrift)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tools="$here/tools/kubectl"
cache="${CERTDRIFT_CACHE:-$HOME/.cache/certdrift}"
version="$(awk '$1 == "k8s.io/kubectl" { print $2 }' "$tools/go.mod")"
RECIPE=1 # bump when this script's output changes
stamp="$( { cat "$tools/go.mod" "$tools/go.sum" "$tools/main.go"; echo "$RECIPE"; } | sha256sum | cut -c1-12)"
out="$cache/kubectl-$version-$stamp"
if [ -x "$out/kubectl" ]; then
  echo "$out/kubectl"
  exit 0
fi
if [ "${1:-}" = --check ]; then exit 1; fi

command -v go >/dev/null || { echo "kubectl-binary: Go 1.26+ is needed to build kubectl" >&2; exit 3; }
# kubectl reports the Kubernetes release it belongs to (k8s.io/kubectl v0.X.Y is Kubernetes v1.X.Y).
k8s="v1.${version#v0.}"
minor="${k8s#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
start=$(date +%s)
echo "kubectl-binary: building kubectl $k8s ($(go version | cut -d' ' -f3)) into $out" >&2
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
(cd "$tools" && GOFLAGS="-mod=mod -trimpath -buildvcs=false" CGO_ENABLED=0 \
  go build -ldflags "$ldflags" -o "$out.tmp/kubectl" .)
rm -rf "$out"
mv "$out.tmp" "$out"
echo "kubectl-binary: done in $(( $(date +%s) - start )) s" >&2
echo "$out/kubectl"
