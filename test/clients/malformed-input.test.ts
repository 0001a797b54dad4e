// Bad input over raw TCP, built by hand (test/support/wire.ts): each case gets the
// Kafka error code, or a closed connection where Kafka closes it, and after each one
// the broker still serves another client (kcat -L, kcat reading) and the data it had
// acknowledged before is unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import { kcatProduce, kcatConsume, kcatMetadata, python, uniqueTopic, type ConsumedRecord } from '../support/clients.ts';
import { RawConnection, Writer, Reader, API, apiVersionsV0, produceV3, recordBatch, listOffsetV1 } from '../support/wire.ts';

const MESSAGE_MAX_BYTES = 10_000;
let broker: Broker;
const topic = uniqueTopic('intact');
let seeded: ConsumedRecord[] = [];
const open: RawConnection[] = [];

before(async () => {
  broker = await startBroker({ overrides: { 'message.max.bytes': String(MESSAGE_MAX_BYTES), 'num.partitions': '1' } });
  const lines = Array.from({ length: 50 }, (_, i) => `k${i}\tvalue-${i}`);
  await kcatProduce(broker.bootstrap, topic, lines, { keySeparator: '\t', extra: ['-X', 'acks=all'] });
  // one more batch, hand-built: proves the encoder the CRC case below relies on is right
  const c = await connect();
  const batch = recordBatch([{ key: Buffer.from('raw-k'), value: Buffer.from('raw-v') }, { key: null, value: Buffer.from('raw-v2') }]);
  const res = await produceV3(c, topic, 0, batch, -1);
  assert.deepEqual(res.map((r) => [r.topic, r.partition, r.errorCode, r.baseOffset]), [[topic, 0, 0, 50n]]);
  seeded = await kcatConsume(broker.bootstrap, topic);
  assert.equal(seeded.length, 52);
  assert.deepEqual([seeded[50].key, seeded[50].value, seeded[51].key, seeded[51].value], ['raw-k', 'raw-v', null, 'raw-v2']);
});

after(async () => {
  for (const c of open) c.close();
  await broker?.cleanup();
});

async function connect(): Promise<RawConnection> {
  const c = await RawConnection.connect(broker.host, broker.port);
  open.push(c);
  return c;
}

/** The broker process is alive, answers a fresh client and still holds exactly the seeded data. */
async function assertStillServes(): Promise<void> {
  assert.equal(broker.pid > 0 && broker.peakRssKb() !== null, true, `broker process is gone\n${broker.tail()}`);
  const md = await kcatMetadata(broker.bootstrap);
  assert.deepEqual(md.brokers.map((b) => b.id), [1]);
  const now = await kcatConsume(broker.bootstrap, topic);
  assert.deepEqual(now, seeded, 'previously acknowledged data changed');
  const c = await connect();
  const latest = await listOffsetV1(c, topic, 0, -1n);
  assert.deepEqual(latest, { errorCode: 0, offset: 52n });
  c.close();
}

/** Either a response frame or a closed connection within 10 s; a hang fails. */
async function responseOrClose(c: RawConnection): Promise<Buffer | null> {
  return c.readFrame(10_000);
}

test('truncated frame: the size promises more bytes than are sent, then the client goes away', async () => {
  const c = await connect();
  const body = new Writer().int16(API.Metadata).int16(1).int32(7).string('trunc').build();
  c.write(Buffer.concat([new Writer().int32(body.length + 100).build(), body]));
  await new Promise((r) => setTimeout(r, 300));
  c.close();
  await assertStillServes();
});

test('truncated body: a complete frame whose Produce v3 body stops half-way', async () => {
  const c = await connect();
  const full = new Writer().string(null).int16(-1).int32(5000).array([topic], (w, t) => w.string(t).array([0], (w2, p) => w2.int32(p).bytes(recordBatch([{ key: null, value: Buffer.from('x') }])))).build();
  c.send(API.Produce, 3, full.subarray(0, Math.floor(full.length / 2)));
  const r = await responseOrClose(c);
  if (r !== null) {
    // Kafka closes; a broker that answers must at least answer this request, not crash
    assert.equal(new Reader(r).int32(), 1, 'response to another correlation id');
  }
  await assertStillServes();
});

test('garbage body for a known API (Metadata v1)', async () => {
  const c = await connect();
  c.send(API.Metadata, 1, Buffer.from('ffffff7fdeadbeefdeadbeefdeadbeef0102030405', 'hex'));
  const r = await responseOrClose(c);
  if (r !== null) assert.equal(new Reader(r).int32(), 1);
  await assertStillServes();
});

test('unknown API key: connection closed (as Kafka does) or an error, never a crash', async () => {
  const c = await connect();
  c.send(32000, 0, Buffer.alloc(8));
  const r = await responseOrClose(c);
  if (r !== null) assert.equal(new Reader(r).int32(), 1);
  await assertStillServes();
});

test('ApiVersions with an unsupported version: KIP-511 v0 response, error 35, the supported ranges', async () => {
  const c = await connect();
  // v127 with a flexible (v2) request header and a v3-shaped body
  const body = new Writer().compactString('tributary-wire-test').compactString('1.0').uvarint(0).build();
  const id = c.send(API.ApiVersions, 127, body, { flexibleHeader: true });
  const frame = await c.readFrame(10_000);
  assert.ok(frame, 'connection closed instead of the KIP-511 fallback response');
  const r = new Reader(frame);
  assert.equal(r.int32(), id, 'correlation id (response header v0)');
  assert.equal(r.int16(), 35, 'error code UNSUPPORTED_VERSION');
  const apis = r.array((x) => ({ apiKey: x.int16(), min: x.int16(), max: x.int16() }));
  const av = apis.find((a) => a.apiKey === API.ApiVersions);
  assert.ok(av && av.min === 0 && av.max >= 3, `ApiVersions range ${JSON.stringify(av)}`);
  const produce = apis.find((a) => a.apiKey === API.Produce);
  assert.ok(produce && produce.min === 0 && produce.max >= 7, `Produce range ${JSON.stringify(produce)} (min must be 0, see KAFKA-PROTOCOL.md)`);
  // the same connection keeps working with a supported version
  const v0 = await apiVersionsV0(c);
  assert.equal(v0.errorCode, 0);
  assert.deepEqual(v0.apis, apis);
  await assertStillServes();
});

test('oversized frame size: the connection is closed', async () => {
  const c = await connect();
  c.write(new Writer().int32(0x7ffffff0).int16(API.Metadata).int16(1).build());
  assert.equal(await c.closedWithin(10_000), true, 'connection left open after a 2 GiB frame size');
  const d = await connect();
  d.write(new Writer().int32(-5).build());
  assert.equal(await d.closedWithin(10_000), true, 'connection left open after a negative frame size');
  await assertStillServes();
});

test('Produce with a wrong CRC: CORRUPT_MESSAGE (2), nothing appended', async () => {
  const c = await connect();
  const bad = recordBatch([{ key: Buffer.from('bad'), value: Buffer.from('crc') }], { corruptCrc: true });
  const res = await produceV3(c, topic, 0, bad, -1);
  assert.equal(res.length, 1);
  assert.equal(res[0].errorCode, 2, `error code ${res[0].errorCode}, expected CORRUPT_MESSAGE`);
  // a flipped bit in the records (CRC computed before the flip) is caught as well
  const flipped = Buffer.from(recordBatch([{ key: Buffer.from('bad'), value: Buffer.from('bits') }]));
  flipped[flipped.length - 2] ^= 0x01;
  const res2 = await produceV3(c, topic, 0, flipped, -1);
  assert.equal(res2[0].errorCode, 2);
  await assertStillServes();
});

test('a record batch over message.max.bytes: MESSAGE_TOO_LARGE (10), nothing appended', async () => {
  const c = await connect();
  const big = recordBatch([{ key: Buffer.from('big'), value: Buffer.alloc(MESSAGE_MAX_BYTES * 2, 0x61) }]);
  const res = await produceV3(c, topic, 0, big, -1);
  assert.equal(res[0].errorCode, 10, `error code ${res[0].errorCode}, expected MESSAGE_TOO_LARGE`);
  await assertStillServes();
  // and a real client gets the same answer: librdkafka reports the broker's error 10
  const big2 = JSON.stringify({ k: 'k', v: 'v'.repeat(MESSAGE_MAX_BYTES * 2) });
  const r = await python('produce_kv.py', [broker.bootstrap, topic, 'message.max.bytes=1000000', 'message.timeout.ms=10000'], { input: big2 + '\n' });
  assert.notEqual(r.code, 0, 'an oversized record was acknowledged');
  assert.match(r.stderr, /MSG_SIZE_TOO_LARGE|Message size too large/, r.stderr);
  await assertStillServes();
});
