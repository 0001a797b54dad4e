#!/usr/bin/env bash
# Starts a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler built from Debian's source, see build.sh) and the project's test
# kubelet (test/kubelet/) for one or more Nodes. Everything binds 127.0.0.1 on free
# ports; all state (certs, etcd data, logs, pid files, pod volumes, PVs) lives in
# one directory that down.sh removes.
#
#   test/cluster/up.sh [--dir DIR] [--nodes N] [--no-kubelet]
#   → prints DIR; DIR/env holds KUBECONFIG=… and the ports; DIR/kubeconfig is admin.
#   test/cluster/down.sh DIR
#
# Not emulated: kube-proxy (ClusterIP virtual IPs do not route) and cluster DNS.
# Pods run on the host network, each with its own 127.x.y.z address as pod IP;
# in-cluster clients of the apiserver get KUBERNETES_SERVICE_HOST=127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
log() { echo "[cluster/up] $*" >&2; }
die() { echo "[cluster/up] ERROR: $*" >&2; exit 1; }
# Any failure after the first process started stops everything started so far.
started=0
on_exit() {
  local rc=$?
  if [ $rc -ne 0 ] && [ $started = 1 ]; then
    echo "[cluster/up] failed (exit $rc): stopping what was started; logs were in $DIR/logs" >&2
    for f in "$DIR"/logs/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
    "$here/down.sh" "$DIR" >&2 || true
  fi
}
trap on_exit EXIT

DIR="" NODES=1 KUBELET=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    --no-kubelet) KUBELET=0; shift ;;
    *) echo "usage: $0 [--dir DIR] [--nodes N] [--no-kubelet]" >&2; exit 2 ;;
  esac
done

BIN=$("$here/build.sh")
NODE_BIN=$("$root/scripts/ensure-node.sh")
export PATH=$NODE_BIN:$PATH
command -v etcd >/dev/null || die "etcd not installed (build.sh installs etcd-server)"
command -v openssl >/dev/null || die "openssl missing"

if [ -z "$DIR" ]; then DIR=$(mktemp -d /tmp/tributary-k8s.XXXXXX); else mkdir -p "$DIR"; fi
DIR=$(cd "$DIR" && pwd)
[ -f "$DIR/pids" ] && die "$DIR already holds a running cluster (down.sh it first)"
: >"$DIR/pids"
started=1
mkdir -p "$DIR/pki" "$DIR/logs"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
ETCD_PORT=$(free_port); ETCD_PEER=$(free_port); API_PORT=$(free_port)
while [ "$ETCD_PEER" = "$ETCD_PORT" ]; do ETCD_PEER=$(free_port); done
while [ "$API_PORT" = "$ETCD_PORT" ] || [ "$API_PORT" = "$ETCD_PEER" ]; do API_PORT=$(free_port); done
# Cluster id: labels the podman containers; the pod-IP block 127.<ID>.x.y is this cluster's.
CLUSTER_ID=$(( (RANDOM % 180) + 20 ))  # 20..199; 200+ is left to single-container tests

# --- certificates -----------------------------------------------------------
P=$DIR/pki
openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=tributary-test-ca" \
  -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null || die "openssl: CA"
cert() { # name subject [san]
  local name=$1 subj=$2 san=${3:-}
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$P/$name.key" -out "$P/$name.csr" 2>/dev/null
  local ext=$P/$name.ext
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi; } >"$ext"
  openssl x509 -req -in "$P/$name.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -days 3 -extfile "$ext" -out "$P/$name.crt" 2>/dev/null || die "openssl: $name"
}
cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=admin"
openssl genrsa -out "$P/sa.key" 2048 2>/dev/null && openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null || die "openssl: sa key"
TOKEN=$(openssl rand -hex 16)
echo "$TOKEN,admin-token,admin-token,system:masters" >"$P/tokens.csv"

kubeconfig() { # file user-kind
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tributary
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $P/ca.crt
users:
- name: admin
  user:
    client-certificate: $P/admin.crt
    client-key: $P/admin.key
- name: admin-token
  user:
    token: $TOKEN
contexts:
- name: tributary
  context: {cluster: tributary, user: admin}
- name: tributary-token
  context: {cluster: tributary, user: admin-token}
current-context: tributary
EOF
}
kubeconfig "$DIR/kubeconfig"

start() { # name cmd...
  local name=$1; shift
  setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$DIR/pids"
}

# --- etcd --------------------------------------------------------------------
start etcd etcd --name tributary --data-dir "$DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "tributary=http://127.0.0.1:$ETCD_PEER" --log-level warn --logger zap \
  --unsafe-no-fsync
for i in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && break
  kill -0 "$(awk '$1=="etcd"{print $2}' "$DIR/pids")" 2>/dev/null || { tail "$DIR/logs/etcd.log" >&2; die "etcd exited"; }
  sleep 0.1
done

# --- kube-apiserver ----------------------------------------------------------
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
  --secure-port="$API_PORT" --insecure-port=0 --cert-dir="$P" \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
  --client-ca-file="$P/ca.crt" --token-auth-file="$P/tokens.csv" \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc \
  --authorization-mode=Node,RBAC --allow-privileged=true \
  --service-cluster-ip-range=10.96.0.0/16 --service-node-port-range=30000-32767 \
  --enable-priority-and-fairness=false --profiling=false --v=1
ready=0
for i in $(seq 1 300); do
  if curl -fsS --cacert "$P/ca.crt" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$(awk '$1=="kube-apiserver"{print $2}' "$DIR/pids")" 2>/dev/null || { tail -20 "$DIR/logs/kube-apiserver.log" >&2; die "kube-apiserver exited"; }
  sleep 0.1
done
[ $ready = 1 ] || { tail -20 "$DIR/logs/kube-apiserver.log" >&2; die "kube-apiserver not ready in 30 s"; }

# --- controller-manager and scheduler ------------------------------------------
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$DIR/kubeconfig" \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --use-service-account-credentials=true --leader-elect=false \
  --bind-address=127.0.0.1 --port=0 --secure-port=0 --profiling=false \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --node-monitor-grace-period=40s --pod-eviction-timeout=5m --v=1
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$DIR/kubeconfig" --leader-elect=false \
  --bind-address=127.0.0.1 --port=0 --secure-port=0 --profiling=false --v=1

api() { curl -fsS --cacert "$P/ca.crt" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$API_PORT$1"; }

cat >"$DIR/env" <<EOF
KUBECONFIG=$DIR/kubeconfig
TRIBUTARY_K8S_DIR=$DIR
TRIBUTARY_K8S_API=https://127.0.0.1:$API_PORT
TRIBUTARY_K8S_TOKEN=$TOKEN
TRIBUTARY_K8S_CLUSTER_ID=$CLUSTER_ID
TRIBUTARY_K8S_ETCD=http://127.0.0.1:$ETCD_PORT
EOF

# --- test kubelet + default StorageClass provisioner -----------------------------
if [ "$KUBELET" = 1 ]; then
  nodes=$(seq -f "node-%g" 1 "$NODES" | paste -sd, -)
  start kubelet node "$root/test/kubelet/main.ts" --kubeconfig "$DIR/kubeconfig" --dir "$DIR" \
    --cluster-id "$CLUSTER_ID" --nodes "$nodes" --api-port "$API_PORT"
  ok=0
  for i in $(seq 1 300); do
    n=$(api /api/v1/nodes 2>/dev/null | node -e 'let b="";process.stdin.on("data",c=>b+=c).on("end",()=>{try{console.log(JSON.parse(b).items.filter(n=>(n.status.conditions||[]).some(c=>c.type==="Ready"&&c.status==="True")).length)}catch{console.log(0)}})' || true)
    [ "$n" -ge "$NODES" ] && { ok=1; break; }
    kill -0 "$(awk '$1=="kubelet"{print $2}' "$DIR/pids")" 2>/dev/null || { tail -20 "$DIR/logs/kubelet.log" >&2; die "test kubelet exited"; }
    sleep 0.1
  done
  [ $ok = 1 ] || { tail -20 "$DIR/logs/kubelet.log" >&2; die "nodes not Ready in 30 s"; }
fi
# The default ServiceAccount must exist before pods can be created.
for i in $(seq 1 300); do
  api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1 && break
  sleep 0.1
done
log "cluster up in $DIR (apiserver https://127.0.0.1:$API_PORT, $NODES node(s))"
echo "$DIR"
