"""AdminClient operations: create/list/describe/delete topics, describe configs.

usage: admin.py BOOTSTRAP create TOPIC PARTITIONS [k=v ...]
       admin.py BOOTSTRAP list
       admin.py BOOTSTRAP describe TOPIC
       admin.py BOOTSTRAP delete TOPIC
       admin.py BOOTSTRAP alter TOPIC k=v ...
Prints JSON on stdout; exits 1 with the error on stderr.
"""
import sys
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
from common import emit, die


def main():
    bootstrap, op = sys.argv[1], sys.argv[2]
    a = AdminClient({"bootstrap.servers": bootstrap, "broker.address.family": "v4"})
    if op == "create":
        topic, parts = sys.argv[3], int(sys.argv[4])
        cfg = dict(kv.split("=", 1) for kv in sys.argv[5:])
        fs = a.create_topics([NewTopic(topic, num_partitions=parts, replication_factor=1, config=cfg)], operation_timeout=30, request_timeout=30)
        for t, f in fs.items():
            f.result()
        emit({"created": topic})
    elif op == "list":
        md = a.list_topics(timeout=30)
        emit({"topics": sorted(md.topics.keys()), "brokers": sorted(b.id for b in md.brokers.values())})
    elif op == "describe":
        topic = sys.argv[3]
        md = a.list_topics(topic=topic, timeout=30)
        t = md.topics.get(topic)
        if t is None:
            die("topic %s not in metadata" % topic)
        err = str(t.error) if t.error is not None else None
        parts = [{"id": p.id, "leader": p.leader, "replicas": list(p.replicas), "isrs": list(p.isrs),
                  "error": str(p.error) if p.error is not None else None} for p in t.partitions.values()]
        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        configs = {}
        for r, f in a.describe_configs([res], request_timeout=30).items():
            for name, entry in f.result().items():
                configs[name] = entry.value
        emit({"topic": topic, "error": err, "partitions": sorted(parts, key=lambda p: p["id"]), "configs": configs})
    elif op == "alter":
        # AlterConfigs (not incremental): the given set replaces the topic's overrides
        topic = sys.argv[3]
        res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=dict(kv.split("=", 1) for kv in sys.argv[4:]))
        for r, f in a.alter_configs([res], request_timeout=30).items():
            f.result()
        emit({"altered": topic})
    elif op == "delete":
        topic = sys.argv[3]
        for t, f in a.delete_topics([topic], operation_timeout=30, request_timeout=30).items():
            f.result()
        emit({"deleted": topic})
    else:
        die("unknown op " + op)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the test shows this
        die("%s: %s" % (type(e).__name__, e))
