#!/usr/bin/env bash
# `make run`: a single broker (data under ./data) and the emulator in front of
# it. Ctrl-C (or SIGTERM) stops the emulator, then the broker, cleanly.
# Children run in their own process groups (set -m) so the terminal's Ctrl-C
# reaches only this script, which signals each child exactly once.
set -euo pipefail
set -m
cd "$(dirname "$0")/.."

config=${BROKER_CONFIG:-config/server.properties}
http=${RUN_HTTP_LISTENER:-127.0.0.1:9644}
listener=$(sed -n 's/^listeners=PLAINTEXT:\/\/\([^,]*\).*/\1/p' "$config" | tail -1)
bootstrap=${BOOTSTRAP:-${listener:-127.0.0.1:9092}}
host=${bootstrap%:*}; port=${bootstrap##*:}

node broker-image/src/cli/main.ts broker start --config "$config" --override "http.listener=$http" &
broker=$!
emulator=""

stop() {
  trap - INT TERM
  if [ -n "$emulator" ] && kill -0 "$emulator" 2>/dev/null; then kill -TERM "$emulator"; wait "$emulator" || true; fi
  if kill -0 "$broker" 2>/dev/null; then kill -TERM "$broker"; wait "$broker" || true; fi
  exit 0
}
trap stop INT TERM

for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then break; fi
  kill -0 "$broker" 2>/dev/null || { echo "run: the broker exited during start-up" >&2; exit 1; }
  sleep 0.1
done

node emulator/src/main.ts --bootstrap-server "$bootstrap" &
emulator=$!

# Whichever stops first (a crash), stop the other and report it.
wait -n "$broker" "$emulator" || true
echo "run: a process exited; stopping the other" >&2
stop
