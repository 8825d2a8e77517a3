#!/usr/bin/env bash
# Builds the real `helm` the chart tests run (helm lint, helm template on deploy/helm/certdrift),
# from its Go module pinned by tools/helm/go.mod + go.sum, and copies the CustomResourceDefinitions
# of the kinds the chart renders that Kubernetes does not have (the Prometheus Operator's
# ServiceMonitor and PrometheusRule, cert-manager's Issuer and Certificate) out of those projects'
# Go modules into crds/ beside bin/, so the real API server validates those objects too. Everything
# goes into a cache outside the clone and is reused when the cache holds a build of the same inputs.
#
#   scripts/helm-binary.sh           build if needed; print the binary's path on stdout
#   scripts/helm-binary.sh --check   print the binary's path if it is built, else exit 1
#   CERTDRIFT_CACHE                  cache root (default ~/.cache/certdrift)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tools="$here/tools/helm"
cache="${CERTDRIFT_CACHE:-$HOME/.cache/certdrift}"
version="$(awk '$1 == "helm.sh/helm/v4" { print $2 } $1 == "require" && $2 == "helm.sh/helm/v4" { print $3 }' "$tools/go.mod")"
PROMETHEUS_OPERATOR_VERSION=v0.85.0 # github.com/prometheus-operator/prometheus-operator
CERT_MANAGER_VERSION=v1.21.2        # github.com/cert-manager/cert-manager
RECIPE=2 # bump when this script's outputs change
stamp="$( { cat "$tools/go.mod" "$tools/go.sum"
  echo "$PROMETHEUS_OPERATOR_VERSION $CERT_MANAGER_VERSION $RECIPE"; } | sha256sum | cut -c1-12)"
out="$cache/helm-$version-$stamp"

if [ -x "$out/bin/helm" ] && [ -f "$out/crds/cert-manager.io_certificates.yaml" ]; then
  echo "$out/bin/helm"
  exit 0
fi
if [ "${1:-}" = --check ]; then exit 1; fi

command -v go >/dev/null || { echo "helm-binary: Go 1.26+ is needed to build helm" >&2; exit 3; }
rm -rf "$out.tmp"
mkdir -p "$out.tmp/bin" "$out.tmp/crds"
start=$(date +%s)
echo "helm-binary: building helm $version ($(go version | cut -d' ' -f3)) into $out" >&2
# helm prints its version from these variables (`helm version`); a module build leaves them empty.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version"
ldflags+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
export GOFLAGS="-mod=mod -trimpath -buildvcs=false" CGO_ENABLED=0
(cd "$tools" && go build -ldflags "$ldflags" -o "$out.tmp/bin/helm" helm.sh/helm/v4/cmd/helm)
"$out.tmp/bin/helm" version --short >"$out.tmp/VERSION"
moddir() { (cd "$tools" && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
po_dir="$(moddir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
cm_dir="$(moddir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")"
cp "$po_dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
  "$po_dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
  "$cm_dir/deploy/crds/cert-manager.io_issuers.yaml" \
  "$cm_dir/deploy/crds/cert-manager.io_certificates.yaml" "$out.tmp/crds/"
echo "prometheus-operator $PROMETHEUS_OPERATOR_VERSION cert-manager $CERT_MANAGER_VERSION" >>"$out.tmp/VERSION"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "helm-binary: done in $(( $(date +%s) - start )) s" >&2
echo "$out/bin/helm"
