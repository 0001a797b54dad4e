"""Produce COUNT keyed records (common.record) with a codec; print one JSON line per
acknowledged record: {"p": partition, "o": offset, "seq": i}; errors as {"err": ..., "seq": i}.

usage: produce.py BOOTSTRAP TOPIC CODEC COUNT TAG [ACKS] [EXTRA k=v ...]
With COUNT=0 it produces until stdin closes or says "stop" (a loop for restart tests),
one record at a time in flight batches of 50, waiting for each batch's acks.
"""
import sys
import select
from confluent_kafka import Producer
from common import record, emit, die


def main():
    bootstrap, topic, codec, count, tag = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    acks = sys.argv[6] if len(sys.argv) > 6 else "all"
    conf = {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "compression.codec": codec,
        "acks": acks,
        "linger.ms": 5,
        "message.timeout.ms": 60000,
        "retry.backoff.ms": 200,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 500,
    }
    for kv in sys.argv[7:]:
        k, v = kv.split("=", 1)
        conf[k] = v
    p = Producer(conf)
    stats = {"acked": 0, "failed": 0}

    def report(seq):
        def cb(err, msg):
            if err is not None:
                stats["failed"] += 1
                emit({"err": str(err), "seq": seq})
            else:
                stats["acked"] += 1
                emit({"p": msg.partition(), "o": msg.offset(), "seq": seq})
        return cb

    if count > 0:
        for i in range(count):
            k, v = record(i, tag)
            while True:
                try:
                    p.produce(topic, key=k, value=v, on_delivery=report(i))
                    break
                except BufferError:
                    p.poll(0.1)
            p.poll(0)
        left = p.flush(120)
        if left:
            die("%d records not delivered" % left)
    else:
        i = 0
        while True:
            r, _, _ = select.select([sys.stdin], [], [], 0)
            if r:
                line = sys.stdin.readline()
                if line == "" or line.strip() == "stop":
                    break
            for _ in range(50):
                k, v = record(i, tag)
                p.produce(topic, key=k, value=v, on_delivery=report(i))
                i += 1
            p.flush(90)
        p.flush(120)
    sys.stderr.write("acked=%d failed=%d\n" % (stats["acked"], stats["failed"]))
    if count > 0 and stats["failed"]:
        sys.exit(2)


if __name__ == "__main__":
    main()
