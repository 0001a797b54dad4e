#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler from Debian's
# `kubernetes` source package (1.20.2, vendored) once, and caches them under
# ~/.cache/tributary/k8s-1.20.2/bin. Idempotent: a warm cache returns at once.
# Also installs the host packages the local cluster needs (etcd, podman, runc).
#
#   test/cluster/build.sh            # build if missing, print the bin dir
#   TRIBUTARY_CACHE=/x test/cluster/build.sh
set -euo pipefail

K8S_VERSION=1.20.2
# Bump when the build recipe changes, so cached binaries of an older recipe are rebuilt.
RECIPE=2
CACHE=${TRIBUTARY_CACHE:-$HOME/.cache/tributary}
OUT=$CACHE/k8s-$K8S_VERSION
BIN=$OUT/bin-r$RECIPE
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)

log() { echo "[cluster/build] $*" >&2; }
die() { echo "[cluster/build] ERROR: $*" >&2; exit 1; }

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

# The mirror the machine's apt sources already name (deb822 or one-line format).
apt_mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

apt_updated=0
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then $sudo apt-get update -qq || die "apt-get update failed"; apt_updated=1; fi
  log "apt: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Runtime packages for the cluster and the test kubelet (cheap when present).
apt_install etcd-server podman runc curl openssl

have_all() { local b; for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done; }
if have_all; then echo "$BIN"; exit 0; fi

# One build at a time (several test runs may ask at once); the others wait for it.
mkdir -p "$OUT"
exec 9>"$OUT/.build.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi
if have_all; then echo "$BIN"; exit 0; fi

apt_install golang-go rsync dpkg-dev patch xz-utils golang-github-modern-go-reflect2-dev
export PATH=/usr/lib/go/bin:$PATH
command -v go >/dev/null || die "go not found after installing golang-go"

# deb-src line so `apt-get source` works.
if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$(apt_mirror)
  log "adding deb-src for $mirror"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
    | $sudo tee /etc/apt/sources.list.d/tributary-src.list >/dev/null
  $sudo apt-get update -qq || die "apt-get update (with deb-src) failed"
fi

WORK=$OUT/src
mkdir -p "$WORK" "$BIN"
cd "$WORK"
# Debian names it 1.20.5+really1.20.2 (bookworm): the code is 1.20.2.
if ! ls kubernetes_*"${K8S_VERSION}".orig.tar.gz >/dev/null 2>&1; then
  log "downloading Debian source package kubernetes"
  apt-get source --download-only kubernetes >/dev/null 2>&1 \
    || die "apt-get source --download-only kubernetes failed (is the deb-src line right?)"
fi
orig=$(ls kubernetes_*"${K8S_VERSION}".orig.tar.gz 2>/dev/null | head -1)
deb=$(ls kubernetes_*"${K8S_VERSION}"-*.debian.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] && [ -n "$deb" ] || die "Debian's kubernetes source is not version $K8S_VERSION: $(ls "$WORK")"
SRC=$WORK/kubernetes-$K8S_VERSION

if [ ! -f "$SRC/.tributary-patched" ]; then
  rm -rf "$SRC" "$WORK/debian"
  log "unpacking $orig"
  tar xzf "$orig" || die "cannot unpack $orig"
  [ -d "$SRC" ] || SRC=$(find "$WORK" -maxdepth 1 -type d -name 'kubernetes*' | head -1)
  [ -d "$SRC" ] || die "no source directory after unpacking $orig"
  tar -C "$SRC" -xf "$deb" || die "cannot unpack $deb"
  if [ -f "$SRC/debian/patches/series" ]; then
    while read -r p _; do
      case "$p" in ''|'#'*) continue ;; esac
      log "patch $p"
      patch -d "$SRC" -p1 --forward --silent < "$SRC/debian/patches/$p" \
        || die "debian patch $p does not apply"
    done < "$SRC/debian/patches/series"
  fi
  # Kubernetes 1.20 vendors github.com/modern-go/reflect2 v1.0.1, whose unsafe map
  # access breaks with Go >= 1.18 (Debian bookworm has 1.19): kube-apiserver dies at
  # random with "fatal error: fault ... aeshashbody". v1.0.2 (Debian's package) fixes
  # it and is API-compatible with the vendored json-iterator.
  r2=/usr/share/gocode/src/github.com/modern-go/reflect2
  [ -f "$r2/go_above_118.go" ] || die "$r2 is not reflect2 >= 1.0.2"
  rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
  mkdir -p "$SRC/vendor/github.com/modern-go/reflect2"
  cp "$r2"/*.go "$r2"/*.s "$SRC/vendor/github.com/modern-go/reflect2/"
  log "vendored reflect2 replaced by Debian's $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
  touch "$SRC/.tributary-patched"
fi

cd "$SRC"
mkdir -p .go/src/k8s.io
ln -sfn ../../.. .go/src/k8s.io/kubernetes
gohome=$(mktemp -d)
trap 'rm -rf "$gohome"' EXIT
log "building ${BINARIES[*]} (about 5+ minutes on 2 cores; log: $OUT/build.log)"
start=$(date +%s)
if ! GOPATH=$SRC/.go CGO_ENABLED=0 HOME=$gohome \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" >"$OUT/build.log" 2>&1; then
  tail -30 "$OUT/build.log" >&2
  die "kubernetes build failed; see $OUT/build.log"
fi
for b in "${BINARIES[@]}"; do
  f=$(find "$SRC/_output" -type f -name "$b" -perm -u+x | head -1)
  [ -n "$f" ] || die "build produced no $b"
  install -m 0755 "$f" "$BIN/$b"
done
log "built in $(( $(date +%s) - start ))s"
# Keep the downloaded source archives, drop the big tree (about 1.5 GB with _output).
rm -rf "$SRC" "$WORK/debian"
echo "$BIN"
