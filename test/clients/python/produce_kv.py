"""Produce the records given on stdin, one JSON object per line: {"k": key, "v": value or null}
(null value = tombstone), in order, acks=all; waits for every ack. Prints {"acked": n}.

usage: produce_kv.py BOOTSTRAP TOPIC [k=v ...]
"""
import json
import sys
from confluent_kafka import Producer
from common import emit, die


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    conf = {"bootstrap.servers": bootstrap, "broker.address.family": "v4", "acks": "all", "linger.ms": 5}
    for kv in sys.argv[3:]:
        k, v = kv.split("=", 1)
        conf[k] = v
    p = Producer(conf)
    errors = []
    acked = [0]

    def cb(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked[0] += 1

    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        while True:
            try:
                p.produce(topic, key=r["k"], value=r["v"], on_delivery=cb)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(120)
    if left or errors:
        die("not delivered: %d, errors: %s" % (left, errors[:5]))
    emit({"acked": acked[0]})


if __name__ == "__main__":
    main()
