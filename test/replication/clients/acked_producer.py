"""An idempotent acks=all producer (librdkafka through Debian's python3-confluent-kafka)
that writes until told to stop and reports every acknowledgement, for the replication
tests (test/replication/clients/acked-producer.ts reads its output).

usage: acked_producer.py BOOTSTRAP TOPIC PARTITIONS RATE TAG [k=v ...]

Records go round-robin to partitions 0..PARTITIONS-1 (explicit partition, no key);
the value is "TAG|partition|seq|padding" with seq counting per partition from 0, so
order per partition can be checked from values alone. RATE records/s in all.
stdout, one JSON line each:
  {"p": partition, "s": seq, "o": offset, "t": ms}   acknowledged (t: wall clock)
  {"p": partition, "s": seq, "err": "..."}           delivery failed
  {"fatal": "..."}                                   the producer cannot continue
stdin "stop" (or EOF): stop producing, flush, print "acked=N failed=M" on stderr, exit.
Extra k=v pairs are librdkafka settings and override the defaults below.
"""
import json
import select
import sys
import time
from confluent_kafka import KafkaException, Producer


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    partitions, rate, tag = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    conf = {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        # Long enough that nothing times out across a failover: librdkafka retries until then.
        "message.timeout.ms": 120000,
        "retry.backoff.ms": 100,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
        "topic.metadata.refresh.interval.ms": 1000,
        "socket.timeout.ms": 10000,
    }
    for kv in sys.argv[6:]:
        k, v = kv.split("=", 1)
        conf[k] = v
    stats = {"acked": 0, "failed": 0}

    def on_error(err):
        if err.fatal():
            emit({"fatal": str(err)})

    conf["error_cb"] = on_error
    p = Producer(conf)

    def report(part, seq):
        def cb(err, msg):
            if err is not None:
                stats["failed"] += 1
                emit({"p": part, "s": seq, "err": str(err)})
            else:
                stats["acked"] += 1
                emit({"p": part, "s": seq, "o": msg.offset(), "t": int(time.time() * 1000)})
        return cb

    seqs = [0] * partitions
    sent = 0
    started = time.monotonic()
    padding = "x" * 64
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r:
            line = sys.stdin.readline()
            if line == "" or line.strip() == "stop":
                break
        due = int((time.monotonic() - started) * rate)
        while sent < due:
            part = sent % partitions
            seq = seqs[part]
            value = "%s|%d|%d|%s" % (tag, part, seq, padding)
            try:
                p.produce(topic, value=value, partition=part, on_delivery=report(part, seq))
            except BufferError:
                break
            except KafkaException as e:
                emit({"fatal": str(e)})
                sys.exit(3)
            seqs[part] += 1
            sent += 1
        p.poll(0.01)
    left = p.flush(180)
    sys.stderr.write("acked=%d failed=%d unflushed=%d\n" % (stats["acked"], stats["failed"], left))


if __name__ == "__main__":
    main()
