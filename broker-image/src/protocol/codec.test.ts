import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  apiVersionsUnsupportedResponse, decodeRequest, decodeResponse, encodeRequest, encodeResponse, encodeResponseChunks,
  ProtocolError, supportedApis, UnsupportedApiError, UnsupportedVersionError,
} from './codec.ts';
import { readHexFixture } from './testing/samples.ts';

const fixture = (name: string) => readHexFixture(new URL(`./fixtures/${name}.hex`, import.meta.url));
const framePayload = (b: Buffer) => b.subarray(4);

const apiRanges = [
  { apiKey: 0, minVersion: 0, maxVersion: 11 },
  { apiKey: 18, minVersion: 0, maxVersion: 4 },
];

describe('hand-made fixtures, byte for byte', () => {
  test('ApiVersions v0 request', () => {
    const bytes = fixture('api-versions-v0-request');
    const { header, body } = decodeRequest(framePayload(bytes));
    assert.deepEqual(header, { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'rdkafka' });
    assert.deepEqual(body, { clientSoftwareName: '', clientSoftwareVersion: '' });
    assert.deepEqual(encodeRequest(header, body), bytes);
  });

  test('ApiVersions v0 response', () => {
    const bytes = fixture('api-versions-v0-response');
    const encoded = encodeResponse(18, 0, 1, { errorCode: 0, apiKeys: apiRanges });
    assert.equal(encoded.toString('hex'), bytes.toString('hex'));
    const { correlationId, body } = decodeResponse(18, 0, framePayload(bytes));
    assert.equal(correlationId, 1);
    assert.deepEqual(body.apiKeys, apiRanges);
  });

  test('ApiVersions v3 request (flexible, request header v2)', () => {
    const bytes = fixture('api-versions-v3-request');
    const { header, body } = decodeRequest(framePayload(bytes));
    assert.deepEqual(header, { apiKey: 18, apiVersion: 3, correlationId: 2, clientId: 'rdkafka' });
    assert.deepEqual(body, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: 'v2.3.0' });
    assert.equal(encodeRequest(header, body).toString('hex'), bytes.toString('hex'));
  });

  test('ApiVersions v3 response keeps response header v0 (KIP-511)', () => {
    const bytes = fixture('api-versions-v3-response');
    const encoded = encodeResponse(18, 3, 2, { errorCode: 0, apiKeys: apiRanges, throttleTimeMs: 0 });
    assert.equal(encoded.toString('hex'), bytes.toString('hex'));
    const { correlationId, body } = decodeResponse(18, 3, framePayload(bytes));
    assert.equal(correlationId, 2);
    assert.deepEqual(body.apiKeys, apiRanges);
    assert.equal(body.finalizedFeaturesEpoch, -1n);
    assert.deepEqual(body.supportedFeatures, []);
  });

  test('Metadata v1 request', () => {
    const bytes = fixture('metadata-v1-request');
    const { header, body } = decodeRequest(framePayload(bytes));
    assert.deepEqual(header, { apiKey: 3, apiVersion: 1, correlationId: 3, clientId: 'rdkafka' });
    assert.equal(body.topics.length, 1);
    assert.equal(body.topics[0].name, 'events');
    assert.equal(body.allowAutoTopicCreation, true, 'v1 lacks the field: its default (true)');
    assert.equal(encodeRequest(header, body).toString('hex'), bytes.toString('hex'));
  });

  test('Produce v3 request: records are a zero-copy view of the frame', () => {
    const bytes = fixture('produce-v3-request');
    const frame = framePayload(bytes);
    const { header, body } = decodeRequest(frame);
    assert.deepEqual(header, { apiKey: 0, apiVersion: 3, correlationId: 4, clientId: 'rdkafka' });
    assert.equal(body.transactionalId, null);
    assert.equal(body.acks, -1);
    assert.equal(body.timeoutMs, 30000);
    const p = body.topicData[0].partitionData[0];
    assert.equal(body.topicData[0].name, 'events');
    assert.equal(p.index, 0);
    assert.equal(p.records.length, 70);
    assert.equal(p.records[16], 2, 'magic byte of the batch');
    assert.equal(p.records.buffer, frame.buffer);
    assert.equal(encodeRequest(header, body).toString('hex'), bytes.toString('hex'));
  });

  test('Fetch v16 response: tagged currentLeader and nodeEndpoints, defaults omitted', () => {
    const bytes = fixture('fetch-v16-response');
    const topicId = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const body = {
      responses: [{
        topicId,
        partitions: [{
          partitionIndex: 0, errorCode: 6, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
          abortedTransactions: null, records: null,
          currentLeader: { leaderId: 2, leaderEpoch: 5 },
          divergingEpoch: { epoch: -1, endOffset: -1n }, // default: not written
        }],
      }],
      nodeEndpoints: [{ nodeId: 2, host: 'b2', port: 9092, rack: null }],
    };
    assert.equal(encodeResponse(1, 16, 9, body).toString('hex'), bytes.toString('hex'));
    const { correlationId, body: back } = decodeResponse(1, 16, framePayload(bytes));
    assert.equal(correlationId, 9);
    const p = back.responses[0].partitions[0];
    assert.deepEqual(p.currentLeader, { leaderId: 2, leaderEpoch: 5 });
    assert.deepEqual(p.snapshotId, { endOffset: -1n, epoch: -1 });
    assert.equal(p.records, null);
    assert.deepEqual(back.nodeEndpoints, [{ nodeId: 2, host: 'b2', port: 9092, rack: null }]);
  });

  test('KIP-511 fallback: v0 response with error 35 and the ranges', () => {
    const bytes = fixture('api-versions-unsupported-response');
    const encoded = apiVersionsUnsupportedResponse(42, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
    assert.equal(encoded.toString('hex'), bytes.toString('hex'));
    // A client decoding it as v0 sees the error and our ApiVersions range.
    const { body } = decodeResponse(18, 0, framePayload(apiVersionsUnsupportedResponse(7)));
    assert.equal(body.errorCode, 35);
    assert.deepEqual(body.apiKeys.find((a: any) => a.apiKey === 18), { apiKey: 18, minVersion: 0, maxVersion: 4 });
    assert.deepEqual(body.apiKeys, supportedApis());
    // A client that asked for v3 reads the v0-format fallback too.
    const asV3 = decodeResponse(18, 3, framePayload(apiVersionsUnsupportedResponse(8)));
    assert.equal(asV3.correlationId, 8);
    assert.equal(asV3.body.errorCode, 35);
    assert.deepEqual(asV3.body.apiKeys, supportedApis());
  });
});

describe('decodeRequest errors', () => {
  test('unknown API key → UnsupportedApiError with the header fields', () => {
    const frame = Buffer.from('7fff0001000000090000', 'hex');
    assert.throws(() => decodeRequest(frame), (e: unknown) =>
      e instanceof UnsupportedApiError && e.apiKey === 0x7fff && e.apiVersion === 1 && e.correlationId === 9);
  });

  test('unknown version → UnsupportedVersionError, before the rest is parsed', () => {
    // ApiVersions v99 with a header we could not parse: the fallback still needs the correlation id.
    const frame = Buffer.from('00120063000000170102', 'hex');
    assert.throws(() => decodeRequest(frame), (e: unknown) =>
      e instanceof UnsupportedVersionError && e.apiKey === 18 && e.apiVersion === 99 && e.correlationId === 0x17);
    assert.throws(() => decodeRequest(Buffer.from('0000ffff000000010000', 'hex')), UnsupportedVersionError);
  });

  test('short or malformed frames → ProtocolError', () => {
    assert.throws(() => decodeRequest(Buffer.alloc(0)), ProtocolError);
    assert.throws(() => decodeRequest(Buffer.from('00120000000000', 'hex')), ProtocolError);
    assert.throws(() => decodeRequest(Buffer.from('001200000000000100ff61', 'hex')), ProtocolError); // clientId past the end
  });
});

describe('header versions', () => {
  test('flexible requests carry header v2 tagged fields; clientId may be null', () => {
    const frame = encodeRequest({ apiKey: 3, apiVersion: 12, correlationId: 5, clientId: null }, { topics: null });
    // size(4) apiKey(2) version(2) corr(4) clientId ffff, header tags 00
    assert.equal(frame.subarray(12, 15).toString('hex'), 'ffff00');
    assert.deepEqual(decodeRequest(frame.subarray(4)).header, { apiKey: 3, apiVersion: 12, correlationId: 5, clientId: null });
  });

  test('flexible responses use header v1 (one empty tag section), others v0', () => {
    // Metadata v9 (flexible), empty body: every field at its default.
    assert.equal(encodeResponse(3, 9, 77, {}).toString('hex'),
      '00000015' + '0000004d' + '00' // size 21, correlation id, header tags
      + '00000000' + '01' + '00' + 'ffffffff' + '01' + '80000000' + '00'); // throttle, brokers [], clusterId null, controller -1, topics [], cluster ops, tags
    // Metadata v8 (classic): header v0, int32 array counts, int16 null string.
    assert.equal(encodeResponse(3, 8, 77, {}).toString('hex'),
      '0000001a' + '0000004d'
      + '00000000' + '00000000' + 'ffff' + 'ffffffff' + '00000000' + '80000000');
  });
});

describe('supportedApis', () => {
  test('lists every registered API with its range, sorted', () => {
    const apis = supportedApis();
    const keys = apis.map((a) => a.apiKey);
    assert.deepEqual(keys, [...keys].sort((a, b) => a - b));
    for (const [key, max] of [[0, 11], [1, 16], [2, 8], [3, 12], [18, 4], [19, 7], [20, 6], [21, 2], [23, 4], [32, 4], [33, 2], [35, 4], [37, 3], [44, 1], [60, 1]]) {
      const a = apis.find((x) => x.apiKey === key);
      assert.ok(a, `API ${key} registered`);
      assert.equal(a.minVersion, 0);
      assert.equal(a.maxVersion, max, `API ${key} max version`);
    }
  });
});

describe('large record sets', () => {
  test('Fetch responses with MiB record sets: one Buffer or zero-copy chunks, same bytes', () => {
    const records = [0, 1, 2].map((i) => Buffer.alloc(1024 * 1024, i + 1));
    for (const version of [4, 11, 12, 16]) {
      const body = {
        responses: [{ topic: 't', topicId: Buffer.alloc(16, 5), partitions: records.map((r, i) => ({ partitionIndex: i, highWatermark: 10n, records: r })) }],
      };
      const whole = encodeResponse(1, version, 99, body);
      const chunks = encodeResponseChunks(1, version, 99, body);
      assert.deepEqual(Buffer.concat(chunks), whole, `v${version}`);
      assert.ok(chunks.includes(records[1]!), 'record set passed by reference');
      assert.equal(whole.readInt32BE(0), whole.length - 4);
      const { correlationId, body: back } = decodeResponse(1, version, whole.subarray(4));
      assert.equal(correlationId, 99);
      back.responses[0].partitions.forEach((p: any, i: number) => assert.deepEqual(p.records, records[i]));
    }
  });
});
