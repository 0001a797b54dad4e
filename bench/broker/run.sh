#!/usr/bin/env bash
# make bench-broker: librdkafka's own rdkafka_performance against the broker on loopback.
#
#   100-byte records; 1 and 6 partitions × acks=1 and acks=all, produce then consume;
#   produce throughput at 1, 6 and 60 partitions; end-to-end latency (p50/p99/max) at
#   20,000 records/s (rdkafka_performance -C -l subtracts the wall-clock stamp a paced
#   producer, latency.py, put in the payload); the broker's peak RSS (VmHWM).
#
# Env:
#   BOOTSTRAP=host:port   benchmark a running broker (any Kafka-compatible one) instead of
#                         starting ours; BROKER_PID=<pid> then gives its RSS.
#   BENCH_RECORDS=N       records per throughput run (default 2000000)
#   BENCH_LAT_SECONDS=S   length of the latency run (default 10)
#   BENCH_OUT=DIR         where logs and results go (default bench/out/<timestamp>)
# A benchmark, not a test: it reports figures next to the targets and does not fail on them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RECORDS=${BENCH_RECORDS:-2000000}
LAT_SECONDS=${BENCH_LAT_SECONDS:-10}
LAT_RATE=20000
SIZE=100
PY=/usr/bin/python3
out=${BENCH_OUT:-$repo/bench/out/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
log() { echo "[bench] $*" >&2; }

PERF=$("$here/build-rdkafka-perf.sh")
log "rdkafka_performance: $PERF ($(ldd "$PERF" | awk '/librdkafka/{print $3}'))"

started_pid=""
tmpdata=""
cleanup() {
  if [ -n "$started_pid" ] && kill -0 "$started_pid" 2>/dev/null; then
    kill -TERM "$started_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$started_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$started_pid" 2>/dev/null || true
  fi
  [ -n "$tmpdata" ] && rm -rf "$tmpdata"
  return 0
}
trap cleanup EXIT INT TERM

if [ -z "${BOOTSTRAP:-}" ]; then
  NODE_BIN=$("$repo/scripts/ensure-node.sh")/node
  tmpdata=$(mktemp -d /tmp/tributary-bench-XXXXXX)
  log "starting the broker (data in $tmpdata)"
  "$NODE_BIN" "$repo/broker-image/src/cli/main.ts" broker start --config "$repo/config/server.properties" \
    --override listeners=PLAINTEXT://127.0.0.1:0 --override advertised.listeners=PLAINTEXT://127.0.0.1:0 \
    --override "log.dirs=$tmpdata/data" --override num.partitions=1 \
    >"$out/broker.out" 2>&1 &
  started_pid=$!
  BROKER_PID=$started_pid
  for _ in $(seq 1 300); do
    line=$(grep -m1 '"broker listening"' "$out/broker.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$started_pid" 2>/dev/null || { log "broker exited:"; tail -20 "$out/broker.out" >&2; exit 1; }
    sleep 0.2
  done
  [ -n "$line" ] || { log "broker did not print 'broker listening' in 60 s:"; tail -20 "$out/broker.out" >&2; exit 1; }
  port=$(sed -E 's/.*"port":([0-9]+).*/\1/' <<<"$line")
  BOOTSTRAP=127.0.0.1:$port
fi
log "bootstrap $BOOTSTRAP, broker pid ${BROKER_PID:-unknown}"

if ! timeout 20 kcat -b "$BOOTSTRAP" -L -m 10 >/dev/null 2>"$out/kcat-L.err"; then
  log "no Kafka broker answers at $BOOTSTRAP: $(tail -2 "$out/kcat-L.err")"
  exit 1
fi

stamp=$(date +%s)
create_topic() { # name partitions
  timeout 60 "$PY" "$repo/test/clients/python/admin.py" "$BOOTSTRAP" create "$1" "$2" >/dev/null
}
parts_args() { local a=() i; for ((i = 0; i < $1; i++)); do a+=(-p "$i"); done; echo "${a[@]}"; }

produce() { # topic acks records [extra..] → msgs/s
  local t=$1 acks=$2 n=$3; shift 3
  local f="$out/produce-$t.log"
  timeout 600 "$PERF" -P -t "$t" -b "$BOOTSTRAP" -s $SIZE -c "$n" -a "$acks" -i 60000 \
    -X queue.buffering.max.messages=1000000 "$@" >"$f" 2>&1 || { log "produce $t failed: $(tail -3 "$f")"; echo "FAIL"; return; }
  local line; line=$(grep 'messages produced' "$f" | tail -1)
  local failed; failed=$(sed -E 's/.*offset -?[0-9]+, ([0-9]+) failed.*/\1/' <<<"$line")
  [ "${failed:-1}" = "0" ] || log "produce $t: $failed delivery failures"
  sed -E 's/.* ([0-9]+) msgs\/s and.*/\1/' <<<"$line"
}
consume() { # topic partitions records → msgs/s
  local t=$1 p=$2 n=$3
  local f="$out/consume-$t.log"
  # shellcheck disable=SC2046
  timeout 600 "$PERF" -C -t "$t" -b "$BOOTSTRAP" $(parts_args "$p") -o beginning -e -c "$n" -i 60000 >"$f" 2>&1 \
    || { log "consume $t failed: $(tail -3 "$f")"; echo "FAIL"; return; }
  local line; line=$(grep 'messages (' "$f" | grep consumed | tail -1)
  local got; got=$(sed -E 's/^% ([0-9]+) messages.*/\1/' <<<"$line")
  [ "$got" = "$n" ] || log "consume $t: read $got of $n records"
  sed -E 's/.*ms: ([0-9]+) msgs\/s.*/\1/' <<<"$line"
}

declare -A P C
for parts in 1 6; do
  for acks in 1 -1; do
    a=$acks; [ "$a" = "-1" ] && a=all
    t="bench-p$parts-a$a-$stamp"
    create_topic "$t" "$parts"
    log "produce $RECORDS × ${SIZE} B, $parts partition(s), acks=$acks"
    P[$parts,$acks]=$(produce "$t" "$acks" "$RECORDS")
    log "consume $t"
    C[$parts,$acks]=$(consume "$t" "$parts" "$RECORDS")
  done
done

t="bench-p60-a1-$stamp"
create_topic "$t" 60
log "produce $RECORDS × ${SIZE} B, 60 partitions, acks=1"
P60=$(produce "$t" 1 "$RECORDS")
C60=$(consume "$t" 60 "$RECORDS")

# End-to-end latency at 20,000 records/s on one partition.
t="bench-lat-$stamp"
create_topic "$t" 1
latn=$((LAT_RATE * LAT_SECONDS))
log "latency: $latn records at $LAT_RATE/s, end to end"
timeout $((LAT_SECONDS + 120)) "$PERF" -C -l -A "$out/latency-us.txt" -t "$t" -b "$BOOTSTRAP" -p 0 -o end -c "$latn" -i 60000 \
  -X fetch.wait.max.ms=100 >"$out/latency-consumer.log" 2>&1 &
lat_consumer=$!
sleep 3
# The producer is a paced python confluent-kafka script (rdkafka_performance -r falls
# short of 20,000/s on 2 cores) writing rdkafka_performance's LATENCY:<µs> payloads.
timeout $((LAT_SECONDS + 120)) "$PY" "$here/latency.py" "$BOOTSTRAP" "$t" $LAT_RATE "$latn" $SIZE \
  >"$out/latency-producer.log" 2>&1 || log "latency producer failed: $(tail -3 "$out/latency-producer.log")"
LAT_RATE_GOT=$(sed -nE 's/.*: ([0-9]+) records\/s.*/\1/p' "$out/latency-producer.log")
wait "$lat_consumer" || log "latency consumer ended with $?: $(tail -3 "$out/latency-consumer.log")"
read -r LAT_N LAT_P50 LAT_P99 LAT_MAX < <(sort -n "$out/latency-us.txt" 2>/dev/null | awk '{a[NR]=$1} END {
  if (NR == 0) { print "0 n/a n/a n/a"; exit }
  i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
  printf "%d %.2f %.2f %.2f\n", NR, a[i50] / 1000, a[i99] / 1000, a[NR] / 1000 }')

RSS="n/a"
if [ -n "${BROKER_PID:-}" ] && [ -r "/proc/$BROKER_PID/status" ]; then
  RSS=$(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$BROKER_PID/status")
fi

fmt() { echo "$1"; }
{
  echo
  echo "Tributary broker benchmark — rdkafka_performance (librdkafka $("$PERF" -h 2>&1 | sed -nE 's/^librdkafka version ([^ ]+).*/\1/p')), ${SIZE}-byte records, $RECORDS per run, bootstrap $BOOTSTRAP, $(nproc) cores"
  printf '%-34s %18s %18s %14s\n' "run" "produce rec/s" "consume rec/s" "target"
  printf '%-34s %18s %18s %14s\n' "----------------------------------" "------------------" "------------------" "--------------"
  for parts in 1 6; do
    for acks in 1 -1; do
      a=$acks; [ "$a" = "-1" ] && a=all
      printf '%-34s %18s %18s %14s\n' "$parts partition(s), acks=$a" "$(fmt "${P[$parts,$acks]}")" "$(fmt "${C[$parts,$acks]}")" "≥400k / ≥800k"
    done
  done
  printf '%-34s %18s %18s %14s\n' "60 partitions, acks=1" "$(fmt "$P60")" "$(fmt "$C60")" "—"
  echo
  printf '%-34s %18s %18s %18s\n' "produce scaling (acks=1)" "1 partition" "6 partitions" "60 partitions"
  printf '%-34s %18s %18s %18s\n' "" "$(fmt "${P[1,1]}")" "$(fmt "${P[6,1]}")" "$(fmt "$P60")"
  echo
  printf '%-34s %18s %18s %14s\n' "end-to-end latency @ ${LAT_RATE_GOT:-?}/s" "p50 ${LAT_P50} ms" "p99 ${LAT_P99} ms" "p99 ≤ 10 ms"
  printf '%-34s %18s %18s\n' "" "max ${LAT_MAX} ms" "($LAT_N samples)"
  printf '%-34s %18s\n' "broker peak RSS (VmHWM)" "$RSS"
} | tee "$out/summary.txt"
log "logs and per-message latencies in $out"
