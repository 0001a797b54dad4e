#!/usr/bin/env bash
# Builds the project's images with podman from the same Dockerfiles Docker users
# build (context = repository root), on the locally made node:24-bookworm-slim.
#   test/images/build.sh broker|operator|emulator [...]   (default: every one whose Dockerfile exists)
# Tags: tributary/<name>:dev (podman stores it as localhost/tributary/<name>:dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
log() { echo "[images/build] $*" >&2; }
die() { echo "[images/build] ERROR: $*" >&2; exit 1; }
dockerfile_for() {
  case "$1" in
    broker) echo broker-image/Dockerfile ;;
    operator) echo operator/Dockerfile ;;
    emulator) echo emulator/Dockerfile ;;
    *) return 1 ;;
  esac
}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for n in broker operator emulator; do [ -f "$(dockerfile_for $n)" ] && names+=("$n"); done
fi
[ ${#names[@]} -gt 0 ] || die "no Dockerfile found"
"$root/test/images/base.sh"
ulimits=$("$root/test/images/ulimits.sh")
# The host's extra CA bundle (TLS-intercepting proxy), for npm inside the build.
ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  ca=(-v "$NODE_EXTRA_CA_CERTS:/run/host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt)
fi
for n in "${names[@]}"; do
  df=$(dockerfile_for "$n") || die "unknown image '$n' (broker|operator|emulator)"
  [ -f "$df" ] || die "$df does not exist (yet)"
  tag=tributary/$n:dev
  log "building $tag from $df"
  start=$(date +%s)
  # --network=host: npm ci inside the build reaches the npm registry like the host does.
  # shellcheck disable=SC2086
  podman build --runtime runc --pull=never --network=host $ulimits "${ca[@]}" \
    -f "$df" -t "$tag" . || die "podman build of $tag failed"
  log "built $tag in $(( $(date +%s) - start ))s"
done
