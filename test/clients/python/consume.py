"""Read every partition of TOPIC from the beginning to the end (assign(), no group),
printing one JSON line per record: {"partition", "offset", "key", "value"}.

usage: consume.py BOOTSTRAP TOPIC [TIMEOUT_S]
"""
import sys
import time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError
from common import emit, die


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "group.id": "tributary-py-assign",  # required by the client; assign() never joins
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })
    md = c.list_topics(topic=topic, timeout=30)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        die("topic %s: %s" % (topic, t.error if t else "missing"))
    parts = sorted(t.partitions.keys())
    # Only partitions that have data can reach EOF after a record; empty ones report EOF at once.
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    eof = set()
    deadline = time.time() + timeout
    while len(eof) < len(parts):
        if time.time() > deadline:
            die("timed out: EOF on %s of %s" % (sorted(eof), parts))
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                continue
            die("consume error: %s" % m.error())
        eof.discard(m.partition())
        k = m.key()
        v = m.value()
        emit({"partition": m.partition(), "offset": m.offset(),
              "key": k.decode() if k is not None else None, "value": v.decode() if v is not None else None})
    c.close()


if __name__ == "__main__":
    main()
