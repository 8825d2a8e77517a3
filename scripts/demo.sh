#!/usr/bin/env bash
# `npm run demo`: kops issue #16400 reproduced on this machine's real containerd + runc, found by
# certdrift, and repaired. Needs root and: apt-get install containerd runc busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
cd_() { node bin/certdrift.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ certdrift %s\n' "$*"; cd_ "$@" || printf '(exit %s)\n' "$?"; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/certdrift-demo-XXXXXX")
rmdir "$DIR"
KUBELET_PID=
cleanup() {
  [ -n "$KUBELET_PID" ] && kill "$KUBELET_PID" 2>/dev/null || true
  # what the demo's fix runs wrote there (not the lab's): then `lab down` finds the directory it
  # created empty and removes it, so no /tmp/certdrift-demo-* is left behind
  rm -rf "$DIR/backups" "$DIR/fix.lock" "$DIR/fix.log"
  cd_ lab down --dir "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
NODE=(--preset none --path "$DIR/host/**" --runtime-endpoint "$DIR/containerd.sock")
FIX=("${NODE[@]}" --manifests "$DIR/host/etc/kubernetes/manifests" --backup-dir "$DIR/backups" --lock-file "$DIR/fix.lock" --log-file "$DIR/fix.log")

step "1. A kops ≤ 1.35 node: kube-proxy's kubeconfig (embedded client cert, 5 days left) is mounted as a single file"
run lab up --dir "$DIR" --mount file
# node itself in the background (not the shell function), so $! is the PID to stop.
node bin/certdrift.js lab kubelet --dir "$DIR" >/dev/null 2>&1 &
KUBELET_PID=$!

step "2. certdrift scan before the rotation: a risk, no drift yet"
run scan "${NODE[@]}"

step "3. nodeup renews the kubeconfig at boot: write a temp file, rename it over the old one"
sleep 1.1 # so the rotation is measurably later than the container start
run lab rotate --dir "$DIR"

step "4. What the #16400 reporter did by hand: read the kubeconfig inside the container and on the node"
run lab status --dir "$DIR"

step "5. Every file check says fine. certdrift scan says otherwise — and why"
run scan "${NODE[@]}"

step "6. The manifest that set it up"
run audit "$DIR/host/etc/kubernetes/manifests"

step "7. certdrift fix: the plan first (nothing changes)"
run fix "${FIX[@]}"

step "8. certdrift fix --apply: patch the manifest (backup kept), recreate kube-proxy, check it"
run fix "${FIX[@]}" --apply

step "9. Clean. And a second fix has nothing to do"
run scan "${NODE[@]}"
run fix "${FIX[@]}"

step "10. The next rotation: the directory mount follows it; kube-proxy still loaded its cert once"
sleep 1.1
run lab rotate --dir "$DIR"
run scan "${NODE[@]}"
run fix "${FIX[@]}" --apply
