"""One confluent-kafka consumer-group member (librdkafka's range assignor), printing
one JSON line per record: {"m": client id, "p", "o", "v"} (and {"m", "assigned"} per assignment); each record's next offset
is committed synchronously before the next poll. "stop" on stdin closes the consumer
(commit + LeaveGroup); a kill by pid sends nothing.

usage: group_member.py BOOTSTRAP GROUP TOPIC CLIENT_ID SESSION_TIMEOUT_MS [ASSIGNMENT_STRATEGY]
(partition.assignment.strategy, e.g. cooperative-sticky; librdkafka's default otherwise).
GROUP_INSTANCE_ID in the environment makes it a static member (group.instance.id).
"""
import os
import sys
import select
from confluent_kafka import Consumer, KafkaError
from common import emit


def main():
    bootstrap, group, topic, client_id, session = sys.argv[1:6]
    session = int(session)
    extra = {"partition.assignment.strategy": sys.argv[6]} if len(sys.argv) > 6 else {}
    if os.environ.get("GROUP_INSTANCE_ID"):
        extra["group.instance.id"] = os.environ["GROUP_INSTANCE_ID"]
    c = Consumer({**extra,
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "group.id": group,
        "client.id": client_id,
        "session.timeout.ms": session,
        "heartbeat.interval.ms": max(100, session // 10),
        "max.poll.interval.ms": max(session * 2, 10000),
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 200,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 500,
        "retry.backoff.ms": 100,
    })
    # Each assignment change is printed too ({"m", "assigned": [partitions]}), so a test
    # can tell whether a member went through a rebalance.
    def on_assign(consumer, partitions):
        emit({"m": client_id, "assigned": sorted(p.partition for p in partitions)})

    c.subscribe([topic], on_assign=on_assign)
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r:
            line = sys.stdin.readline()
            if line == "" or line.strip() == "stop":
                break
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                sys.stderr.write("consume error: %s\n" % m.error())
            continue
        v = m.value()
        emit({"m": client_id, "p": m.partition(), "o": m.offset(), "v": v.decode() if v is not None else None})
        while True:
            try:
                c.commit(message=m, asynchronous=False)
                break
            except Exception as e:  # rebalance in progress etc.: the next owner re-reads it
                sys.stderr.write("commit failed: %s\n" % e)
                break
    c.close()


if __name__ == "__main__":
    main()
