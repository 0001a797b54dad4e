#!/usr/bin/env bash
# Stops exactly what up.sh started (DIR/pids, each a process group of its own),
# removes the podman containers of this cluster (label tributary.k8s.dir=DIR) and
# deletes DIR. Safe to rerun; --keep leaves DIR (logs) in place.
#   test/cluster/down.sh DIR [--keep]
set -uo pipefail
DIR=${1:?usage: down.sh DIR [--keep]}
KEEP=0; [ "${2:-}" = "--keep" ] && KEEP=1
log() { echo "[cluster/down] $*" >&2; }
[ -d "$DIR" ] || { log "$DIR does not exist"; exit 0; }
DIR=$(cd "$DIR" && pwd)

stop() { # name pid timeout
  local name=$1 pid=$2 t=$3
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 $((t * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$name ($pid) did not stop in ${t}s: SIGKILL"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
if [ -f "$DIR/pids" ]; then
  # The kubelet first (it stops its containers), then the control plane, etcd last.
  for name in kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do
    pid=$(awk -v n="$name" '$1==n{print $2}' "$DIR/pids" | tail -1)
    [ -n "$pid" ] && stop "$name" "$pid" $([ "$name" = kubelet ] && echo 60 || echo 15)
  done
  rm -f "$DIR/pids"
fi
# Anything the kubelet left behind (it was killed, or crashed).
if command -v podman >/dev/null; then
  ids=$(podman ps -aq --filter "label=tributary.k8s.dir=$DIR" 2>/dev/null)
  if [ -n "$ids" ]; then
    log "removing leftover containers: $(echo $ids)"
    podman rm -f -t 0 $ids >/dev/null 2>&1 || podman rm -f $ids >/dev/null 2>&1
  fi
fi
# No mount may outlive the cluster.
grep -F " $DIR/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
  log "unmounting leftover $m"; umount -l "$m" 2>/dev/null
done
if [ $KEEP = 0 ]; then rm -rf "$DIR"; fi
log "cluster in $DIR stopped"
