"""Paced producer for the end-to-end latency run: RATE records/s in 1 ms ticks (the
rdkafka_performance -r pacing, a per-message poll loop, falls well short of 20,000/s on
2 cores). Each payload starts with "LATENCY:<wall clock µs>" — the format
rdkafka_performance -C -l reads — so librdkafka's own C consumer measures the latency.

  latency.py BOOTSTRAP TOPIC RATE COUNT SIZE     → prints the achieved rate

acks=1, linger.ms=1, partition 0. Debian's python3-confluent-kafka; run with /usr/bin/python3.
"""
import sys
import time
from confluent_kafka import Producer


def main():
    bootstrap, topic, rate, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    p = Producer({"bootstrap.servers": bootstrap, "broker.address.family": "v4", "acks": "1", "linger.ms": 1,
                  "queue.buffering.max.messages": 1000000})
    pad = b" " * size
    per_tick = max(1, rate // 1000)
    sent = 0
    failed = [0]

    def dr(err, msg):
        if err is not None:
            failed[0] += 1

    start = time.perf_counter()
    tick = 0
    while sent < count:
        for _ in range(min(per_tick, count - sent)):
            p.produce(topic, value=(b"LATENCY:%d " % (time.time_ns() // 1000) + pad)[:size], partition=0, on_delivery=dr)
            sent += 1
        p.poll(0)
        tick += 1
        wait = start + tick / 1000.0 - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    p.flush(60)
    took = time.perf_counter() - start
    print("produced %d in %.2f s: %d records/s, %d failed" % (sent, took, sent / took, failed[0]))


if __name__ == "__main__":
    main()
