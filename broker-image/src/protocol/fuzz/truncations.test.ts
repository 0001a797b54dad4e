// Malformed input must surface as ProtocolError, never as a RangeError, a
// TypeError or an out-of-memory: for every request schema and version,
// truncate a valid frame at every length and mutate it at random many times;
// decodeRequest must either succeed or throw ProtocolError (or, for bytes of
// the header's api key/version, an UnsupportedRequestError).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, ProtocolError, UnsupportedRequestError } from '../codec.ts';
import { apis, coreApis } from '../messages/index.ts';
import { versionBounds } from '../schema/versions.ts';
import { sampleBody } from '../testing/samples.ts';

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mustBeProtocolError(what: string, fn: () => unknown, allowUnsupported: boolean): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return 'error';
    if (allowUnsupported && err instanceof UnsupportedRequestError) return 'error';
    assert.fail(`${what}: threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  }
}

function mutate(frame: Buffer, rand: () => number): { bytes: Buffer; headerTouched: boolean } {
  const bytes = Buffer.from(frame);
  let headerTouched = false;
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    const pos = Math.floor(rand() * bytes.length);
    if (pos < 4) headerTouched = true;
    const kind = rand();
    // Favour the values that break length prefixes: 0xff (-1 / huge), 0x7f, 0x80 (varint continuation), 0.
    bytes[pos] = kind < 0.25 ? 0xff : kind < 0.4 ? 0x7f : kind < 0.55 ? 0x80 : kind < 0.7 ? 0 : Math.floor(rand() * 256);
  }
  return { bytes, headerTouched };
}

describe('malformed requests', () => {
  for (const api of coreApis) {
    test(`${api.name}: truncation and random mutation`, () => {
      const rand = rng(api.apiKey * 7919 + 1);
      const [min, max] = versionBounds(api.request.validVersions);
      let failures = 0;
      for (let v = min; v <= max; v++) {
        for (const nulls of [false, true]) {
          const frame = encodeRequest({ apiKey: api.apiKey, apiVersion: v, correlationId: 1, clientId: 'fuzz' },
            sampleBody(api.request, v, { nulls })).subarray(4);
          assert.ok(decodeRequest(frame), 'the unmutated frame decodes');
          // Every truncation of the body (header intact) must be rejected: each schema field is required.
          for (let n = 0; n < frame.length; n++) {
            const r = mustBeProtocolError(`${api.name} v${v} truncated to ${n}`, () => decodeRequest(frame.subarray(0, n)), false);
            if (r === 'ok') assert.fail(`${api.name} v${v}: truncated to ${n}/${frame.length} bytes still decoded`);
          }
          for (let i = 0; i < 300; i++) {
            const { bytes, headerTouched } = mutate(frame, rand);
            if (mustBeProtocolError(`${api.name} v${v} mutation ${i} (${bytes.toString('hex')})`, () => decodeRequest(bytes), headerTouched) === 'error') failures++;
          }
        }
      }
      assert.ok(failures > 0, 'some mutations were detected as malformed');
    });
  }

  test('every registered request and response schema: truncations', () => {
    for (const api of apis.values()) {
      const [min, max] = versionBounds(api.request.validVersions);
      for (let v = min; v <= max; v++) {
        const req = encodeRequest({ apiKey: api.apiKey, apiVersion: v, correlationId: 1, clientId: null }, sampleBody(api.request, v)).subarray(4);
        const res = encodeResponse(api.apiKey, v, 1, sampleBody(api.response, v)).subarray(4);
        for (let n = 0; n < req.length; n++) mustBeProtocolError(`${api.name} v${v} req/${n}`, () => decodeRequest(req.subarray(0, n)), false);
        for (let n = 0; n < res.length; n++) {
          assert.equal(mustBeProtocolError(`${api.name} v${v} res/${n}`, () => decodeResponse(api.apiKey, v, res.subarray(0, n)), false), 'error');
        }
      }
    }
  });

  test('hostile lengths do not allocate: a 2^31-element array in a tiny frame', () => {
    // Metadata v1: topics count 0x7fffffff, then nothing.
    const frame = Buffer.from('0003000100000001ffff7fffffff', 'hex');
    assert.throws(() => decodeRequest(frame), ProtocolError);
    // Flexible (v9): compact count 2^32-1.
    const flexible = Buffer.from('0003000900000001ffff00ffffffff0f', 'hex');
    assert.throws(() => decodeRequest(flexible), ProtocolError);
  });
});
