#!/usr/bin/env bash
# Builds librdkafka's own benchmark, rdkafka_performance, from Debian's source
# package against the installed librdkafka (librdkafka-dev), and caches the binary.
# Prints the binary's path on stdout.
set -euo pipefail
cache="${TRIBUTARY_CACHE:-$HOME/.cache/tributary}"
bin="$cache/rdkafka_performance"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
mkdir -p "$cache"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

dpkg -s librdkafka-dev >/dev/null 2>&1 || {
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq librdkafka-dev >&2
}
command -v gcc >/dev/null || {
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gcc libc6-dev >&2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get source --download-only librdkafka >&2 2>/dev/null; then
  # Needs a deb-src line: the same mirror the machine's apt sources already name.
  mirror=$(grep -rhoE 'https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -v security | head -n1)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} bookworm main" \
    | $sudo tee /etc/apt/sources.list.d/tributary-src.list >/dev/null
  $sudo apt-get update -qq >&2
  apt-get source --download-only librdkafka >&2
fi
tar xzf librdkafka_*.orig.tar.gz
src=$(find . -maxdepth 1 -type d -name 'librdkafka-*' | head -n1)
cd "$src"
./configure --disable-curl >/dev/null 2>&1 || ./configure --disable-curl >&2
gcc -O2 -I src -I . -o rdkafka_performance examples/rdkafka_performance.c -lrdkafka -lm -lpthread >&2
install -m 0755 rdkafka_performance "$bin"
echo "$bin"
