#!/usr/bin/env bash
# `npm run demo`: kops issue #16400 reproduced on this machine's real containerd + runc, and
# certdrift finding it. Needs root and: apt-get install containerd runc busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
cd_() { node bin/certdrift.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ certdrift %s\n' "$*"; cd_ "$@" || printf '(exit %s)\n' "$?"; }

DIR=$(mktemp -d /tmp/certdrift-demo-XXXXXX)
rmdir "$DIR"
trap 'cd_ lab down --dir "$DIR" >/dev/null 2>&1 || true; cd_ lab down --dir "$DIR-dir" >/dev/null 2>&1 || true' EXIT
SCAN=(scan --preset none --path "$DIR/host/**" --runtime-endpoint "$DIR/containerd.sock")

step "1. A kops ≤ 1.35 node: kube-proxy's kubeconfig (embedded client cert, 5 days left) is mounted as a single file"
run lab up --dir "$DIR" --mount file

step "2. certdrift scan before the rotation: a risk, no drift yet"
run "${SCAN[@]}"

step "3. nodeup renews the kubeconfig at boot: write a temp file, rename it over the old one"
run lab rotate --dir "$DIR"

step "4. What the #16400 reporter did by hand: read the kubeconfig inside the container and on the node"
run lab status --dir "$DIR"

step "5. Every file check says fine. certdrift scan says otherwise — and why"
run "${SCAN[@]}"

step "6. kops ≥ 1.36 mounts the directory: the view follows the rotation, but kube-proxy loaded its cert once"
SCAN_DIR=(scan --preset none --path "$DIR-dir/host/**" --runtime-endpoint "$DIR-dir/containerd.sock")
run lab up --dir "$DIR-dir" --mount dir
sleep 1.1 # so the rotation is measurably later than the container start
run lab rotate --dir "$DIR-dir"
run "${SCAN_DIR[@]}"

step "7. Recreating the container (kubelet's part after certdrift fix stops it) clears it"
run lab restart --dir "$DIR-dir"
run "${SCAN_DIR[@]}"
