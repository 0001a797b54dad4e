// Every request and response of every API this package defines, at every
// version: a representative body round-trips through encode/decode, the
// decoded object equals what was sent (defaults where the version lacks a
// field), and re-encoding the decoded object gives the same bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage, encodeMessage } from '../schema/codec.ts';
import type { MessageSpec } from '../schema/types.ts';
import { versionBounds } from '../schema/versions.ts';
import { expectedDecode, sampleBody } from '../testing/samples.ts';
import { apis, coreApis } from './index.ts';

function roundTrip(spec: MessageSpec, version: number, nulls: boolean): void {
  const body = sampleBody(spec, version, { nulls });
  const bytes = encodeMessage(spec, version, body);
  const decoded = decodeMessage(spec, version, bytes);
  assert.deepStrictEqual(decoded, expectedDecode(spec, version, body), `${spec.name} v${version}${nulls ? ' (nulls)' : ''}`);
  assert.deepStrictEqual(encodeMessage(spec, version, decoded), bytes, `${spec.name} v${version} re-encodes identically`);
}

describe('every core API at every version round-trips', () => {
  for (const api of coreApis) {
    test(`${api.name} (${api.apiKey})`, () => {
      assert.equal(apis.get(api.apiKey), api);
      const [min, max] = versionBounds(api.request.validVersions);
      for (let v = min; v <= max; v++) {
        for (const spec of [api.request, api.response]) {
          roundTrip(spec, v, false);
          roundTrip(spec, v, true);
        }
      }
    });
  }
});

describe('every registered API (other groups included) round-trips', () => {
  test('all entries', () => {
    let n = 0;
    for (const api of apis.values()) {
      const [min, max] = versionBounds(api.request.validVersions);
      for (let v = min; v <= max; v++) {
        roundTrip(api.request, v, false);
        roundTrip(api.response, v, false);
        n++;
      }
    }
    assert.ok(n >= 100, `${n} versions checked`);
  });
});

describe('version-specific shapes', () => {
  test('Fetch v13+ names topics by id, earlier versions by name', () => {
    const [fetch] = coreApis.filter((a) => a.apiKey === 1);
    const body = { topics: [{ topic: 'events', topicId: Buffer.alloc(16, 9), partitions: [{ partition: 0, fetchOffset: 5n }] }] };
    const v12 = decodeMessage(fetch!.request, 12, encodeMessage(fetch!.request, 12, body));
    assert.equal(v12.topics[0].topic, 'events');
    assert.deepEqual(v12.topics[0].topicId, Buffer.alloc(16));
    const v13 = decodeMessage(fetch!.request, 13, encodeMessage(fetch!.request, 13, body));
    assert.equal(v13.topics[0].topic, '');
    assert.deepEqual(v13.topics[0].topicId, Buffer.alloc(16, 9));
  });

  test('Fetch v15 carries the replica id in the tagged replicaState', () => {
    const fetch = apis.get(1)!;
    const body = { replicaId: 3, replicaState: { replicaId: 3, replicaEpoch: 8n } };
    const v14 = encodeMessage(fetch.request, 14, body);
    assert.equal(v14.readInt32BE(0), 3, 'v14: replicaId is the first int32');
    const v15 = decodeMessage(fetch.request, 15, encodeMessage(fetch.request, 15, body));
    assert.equal(v15.replicaId, -1, 'v15 lacks the top-level field: its default');
    assert.deepEqual(v15.replicaState, { replicaId: 3, replicaEpoch: 8n });
  });

  test('Produce v3 partition responses', () => {
    const produce = apis.get(0)!;
    const body = { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 42n }] }], throttleTimeMs: 0 };
    const back = decodeMessage(produce.response, 3, encodeMessage(produce.response, 3, body));
    assert.equal(back.responses[0].partitionResponses[0].baseOffset, 42n);
    assert.equal(back.responses[0].partitionResponses[0].logAppendTimeMs, -1n);
  });
});
