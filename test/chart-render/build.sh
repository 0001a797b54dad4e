#!/usr/bin/env bash
# Builds test/chart-render (Go text/template + sprig, Helm's engine) offline from
# Debian's Go packages in /usr/share/gocode (GOPATH mode, no module downloads) and
# caches the binary by source hash under ~/.cache/tributary/. Prints its path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${TRIBUTARY_CACHE:-$HOME/.cache/tributary}
log() { echo "[chart-render/build] $*" >&2; }
die() { echo "[chart-render/build] ERROR: $*" >&2; exit 1; }
hash=$(sha256sum "$here/main.go" | cut -c1-16)
out=$CACHE/chart-render-$hash/chart-render
if [ -x "$out" ]; then echo "$out"; exit 0; fi
pkgs=(golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev)
missing=(); for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "apt: installing ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
export PATH=/usr/lib/go/bin:$PATH
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/chart-render" "$(dirname "$out")"
cp "$here/main.go" "$work/src/chart-render/"
(cd "$work/src/chart-render" && GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$work/cache" GOFLAGS= CGO_ENABLED=0 \
  go build -o "$out.tmp" .) || die "go build failed"
mv "$out.tmp" "$out"
log "built $out"
echo "$out"
