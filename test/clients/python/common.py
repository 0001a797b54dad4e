"""Shared by the confluent-kafka scripts the Node tests run (Debian's python3-confluent-kafka)."""
import json
import sys


def record(i, tag, keys=997):
    """Same records as test/support/clients.ts makeRecords()."""
    key = "key-%d" % (i % keys)
    value = "%s|%d|%s|%s" % (tag, i, key, "payload-" * (1 + i % 7))
    return key, value


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def die(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)
