#!/usr/bin/env bash
# Prints the `--ulimit` flags podman needs on this machine. Without them runc
# fails with "error setting rlimit type 6/7: operation not permitted": podman asks
# for more open files / processes than the (capability-less) caller may set.
# Probes once with the local base image and caches the answer per hard limits.
set -euo pipefail
IMAGE=${1:-docker.io/library/node:24-bookworm-slim}
CACHE=${TRIBUTARY_CACHE:-$HOME/.cache/tributary}
hn=$(ulimit -Hn); hu=$(ulimit -Hu)
[ "$hn" = unlimited ] && hn=1048576
[ "$hu" = unlimited ] && hu=4194304
key="$CACHE/podman-ulimits-$hn-$hu"
if [ -s "$key" ]; then cat "$key"; exit 0; fi
mkdir -p "$CACHE"
for nofile in "$hn" 16384 4096 1024; do
  for nproc in "$hu" 32768 16384 4096 1024; do
    [ "$nofile" -le "$hn" ] && [ "$nproc" -le "$hu" ] || continue
    flags="--ulimit nofile=$nofile:$nofile --ulimit nproc=$nproc:$nproc"
    # shellcheck disable=SC2086
    if podman run --rm --runtime runc --network=host --pull=never $flags "$IMAGE" true >/dev/null 2>&1; then
      echo "$flags" | tee "$key"; exit 0
    fi
  done
done
echo "[images/ulimits] no --ulimit setting lets runc start $IMAGE" >&2
exit 1
