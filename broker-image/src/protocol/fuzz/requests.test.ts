// Property-based fuzzing of every request decoder in the registry (issue 9):
// (a) random valid bodies built from the schemas round-trip through
//     encodeRequest → decodeRequest (and responses through encodeResponse →
//     decodeResponse, the broker's own client);
// (b) mutated frames — real clients' captured requests and encoded random
//     requests, bit-flipped, truncated, with lengths set to huge or negative
//     values, overflowing varints, repeated tags, spliced, re-targeted at another
//     API — and random bodies behind a valid header: decodeRequest returns a
//     value or throws ProtocolError / UnsupportedRequestError, never anything
//     else, never asks for a buffer larger than the frame, and what it returns
//     holds no more array elements or bytes than the frame could carry.
// Time budget and seeds: budget.ts. Counts go to the test's diagnostics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeRequest, decodeResponse, encodeResponse } from '../codec.ts';
import { FrameDecoder, FrameTooLargeError } from '../framing.ts';
import { ErrorCode } from '../errors.ts';
import { expectedDecode } from '../testing/samples.ts';
import { compileMessage } from '../schema/codec.ts';
import { Writer } from '../primitives/writer.ts';
import { apiVersions, bodyArb, requestArb, requestFrame } from './arbitraries.ts';
import { describeReport, fuzz } from './budget.ts';
import { capturedFrames } from './corpus.ts';
import { applyMutations, mutationsArb } from './mutate.ts';
import { decodesSafely, responseDecodesSafely } from './properties.ts';

const pairs = apiVersions();
const targets = pairs.map((p) => ({ apiKey: p.api.apiKey, version: p.version }));
const captured = capturedFrames();
const donors = captured.map((c) => c.frame);

describe('request decoders under fuzzing', () => {
  test('random valid requests of every API and version round-trip', (t) => {
    const report = fuzz('request round-trip', requestArb(pairs), (c) => {
      const frame = requestFrame(c);
      const { header, body } = decodeRequest(frame);
      assert.deepEqual(header, { apiKey: c.api.apiKey, apiVersion: c.version, correlationId: c.correlationId, clientId: c.clientId });
      assert.deepEqual(body, expectedDecode(c.api.request, c.version, c.body));
    }, { share: 0.1, fixedRuns: Math.max(2000, pairs.length * 10) });
    t.diagnostic(describeReport(report));
  });

  test('random valid responses of every API and version round-trip (the broker\'s own client)', (t) => {
    const responses = fc.constantFrom(...pairs).chain((p) => fc.tuple(fc.constant(p), fc.integer(), bodyArb(p.api.response, p.version)));
    const report = fuzz('response round-trip', responses, ([p, correlationId, body]) => {
      // A KIP-511 ApiVersions answer is read as v0 whatever the version: not a round trip.
      if (p.api.apiKey === 18 && body.errorCode === ErrorCode.UNSUPPORTED_VERSION) return;
      const frame = encodeResponse(p.api.apiKey, p.version, correlationId, body).subarray(4);
      const out = decodeResponse(p.api.apiKey, p.version, frame);
      assert.equal(out.correlationId, correlationId);
      assert.deepEqual(out.body, expectedDecode(p.api.response, p.version, body));
    }, { share: 0.05, fixedRuns: 1000 });
    t.diagnostic(describeReport(report));
  });

  test('mutated captured and random frames: a value or a ProtocolError, no allocation beyond the frame', (t) => {
    const seeds = fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(...captured).map((c) => c.frame) },
      { weight: 2, arbitrary: requestArb(pairs).map(requestFrame) },
    );
    const report = fuzz('mutated request frames', fc.tuple(seeds, mutationsArb(targets.length, donors.length)), ([frame, muts]) => {
      decodesSafely(applyMutations(frame, muts, { targets, donors }));
    }, { share: 0.27, fixedRuns: 5000 });
    t.diagnostic(describeReport(report));
  });

  test('mutated response frames: the broker\'s own client reads a value or a ProtocolError', (t) => {
    const responses = fc.constantFrom(...pairs).chain((p) => fc.tuple(fc.constant(p), bodyArb(p.api.response, p.version), mutationsArb(0, donors.length)));
    const report = fuzz('mutated response frames', responses, ([p, body, muts]) => {
      const frame = encodeResponse(p.api.apiKey, p.version, 1, body).subarray(4);
      responseDecodesSafely(p.api.apiKey, p.version, applyMutations(frame, muts, { donors }));
    }, { share: 0.05, fixedRuns: 2000 });
    t.diagnostic(describeReport(report));
  });

  test('any byte stream cut anywhere: FrameDecoder gives back the frames sent, or FrameTooLargeError', (t) => {
    const stream = fc.tuple(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), fc.constantFrom(...donors)), { maxLength: 6 }),
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 12 }).map((a) => Buffer.from(a)), { nil: null }),
      fc.array(fc.nat(), { maxLength: 8 }),
    );
    const report = fuzz('frame decoder', stream, ([frames, garbage, cuts]) => {
      const whole = Buffer.concat([...frames.map((f) => { const s = Buffer.alloc(4); s.writeInt32BE(f.length); return Buffer.concat([s, f]); }), garbage ?? Buffer.alloc(0)]);
      const positions = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
      const decoder = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      let from = 0;
      try {
        for (const at of [...positions, whole.length]) {
          out.push(...decoder.push(whole.subarray(from, at)));
          from = at;
        }
      } catch (err) {
        assert.ok(err instanceof FrameTooLargeError && garbage !== null, `${(err as Error).message} on ${whole.toString('hex')}`);
        return;
      }
      assert.deepEqual(out.slice(0, frames.length), frames);
      assert.ok(decoder.pending <= (garbage?.length ?? 0), `${decoder.pending} bytes pending`);
    }, { share: 0.03, fixedRuns: 2000 });
    t.diagnostic(describeReport(report));
  });

  test('random bytes behind a valid header, for every API and version', (t) => {
    const frames = fc.tuple(fc.constantFrom(...pairs), fc.uint8Array({ maxLength: 96 }), fc.boolean()).map(([p, body, nullId]) => {
      const w = new Writer(64);
      w.int16(p.api.apiKey);
      w.int16(p.version);
      w.int32(7);
      w.nullableString(nullId ? null : 'fuzz');
      if (compileMessage(p.api.request, p.version).flexible) w.uvarint(0);
      return Buffer.concat([w.finish(), body]);
    });
    const report = fuzz('random request bodies', frames, decodesSafely, { share: 0.15, fixedRuns: 3000 });
    t.diagnostic(describeReport(report));
  });

  test('captured client frames decode unchanged', () => {
    for (const c of captured) assert.doesNotThrow(() => decodeRequest(c.frame), c.name);
  });
});
