"""Earliest and latest offsets of every partition (ListOffsets through the client).

usage: offsets.py BOOTSTRAP TOPIC  → {"0": [low, high], ...}
"""
import sys
from confluent_kafka import Consumer, TopicPartition
from common import emit, die


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    c = Consumer({"bootstrap.servers": bootstrap, "broker.address.family": "v4", "group.id": "tributary-py-offsets"})
    md = c.list_topics(topic=topic, timeout=30)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        die("topic %s: %s" % (topic, t.error if t else "missing"))
    out = {}
    for p in sorted(t.partitions.keys()):
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=30, cached=False)
        out[str(p)] = [low, high]
    emit(out)
    c.close()


if __name__ == "__main__":
    main()
