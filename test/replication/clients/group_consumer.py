"""A consumer-group member (librdkafka through Debian's python3-confluent-kafka) that
commits synchronously after every batch and reports what it read and what the group
coordinator acknowledged, for the coordinator-failover test.

usage: group_consumer.py BOOTSTRAP TOPIC GROUP

stdout, one JSON line each:
  {"r": [partition, offset, value]}              a record read
  {"c": [[partition, next offset], ...], "t": ms} a commit the coordinator acknowledged
  {"ce": "..."}                                  a commit that failed (retried with the next batch)
  {"fatal": "..."}
stdin "stop" (or EOF): commit once more, leave the group, exit.
"""
import json
import select
import sys
import time
from confluent_kafka import Consumer, KafkaException


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
        "topic.metadata.refresh.interval.ms": 1000,
        "error_cb": lambda err: emit({"fatal": str(err)}) if err.fatal() else None,
    })
    c.subscribe([topic])
    dirty = False

    def commit():
        try:
            done = c.commit(asynchronous=False)
            emit({"c": [[tp.partition, tp.offset] for tp in done if tp.error is None and tp.offset >= 0], "t": int(time.time() * 1000)})
            return True
        except KafkaException as e:
            emit({"ce": str(e)})
            return False

    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r:
            line = sys.stdin.readline()
            if line == "" or line.strip() == "stop":
                break
        msgs = c.consume(num_messages=200, timeout=0.2)
        for m in msgs:
            if m.error() is not None:
                continue
            emit({"r": [m.partition(), m.offset(), m.value().decode("utf-8")]})
            dirty = True
        if dirty and commit():
            dirty = False
    if dirty:
        commit()
    c.close()


if __name__ == "__main__":
    main()
