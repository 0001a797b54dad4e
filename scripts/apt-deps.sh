#!/usr/bin/env bash
# Installs the Debian packages the tests need (real Kafka clients and tools),
# only those missing, so a warm machine pays nothing.
set -euo pipefail
pkgs=(kcat librdkafka-dev python3-confluent-kafka chromium etcd-server)
missing=()
for p in "${pkgs[@]}" "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "apt: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
