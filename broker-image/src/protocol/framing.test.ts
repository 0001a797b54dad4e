import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, FrameTooLargeError } from './framing.ts';

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

describe('FrameDecoder', () => {
  test('several frames in one chunk, as zero-copy views', () => {
    const chunk = Buffer.concat([frame('one'), frame(''), frame('three')]);
    const frames = new FrameDecoder().push(chunk);
    assert.deepEqual(frames.map(String), ['one', '', 'three']);
    for (const f of frames) assert.equal(f.buffer, chunk.buffer);
  });

  test('a frame split at every possible byte boundary', () => {
    const all = Buffer.concat([frame('hello'), frame('world!')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))].map(String);
      assert.deepEqual(out, ['hello', 'world!'], `cut at ${cut}`);
      assert.equal(d.pending, 0);
    }
  });

  test('byte-by-byte delivery', () => {
    const all = Buffer.concat([frame('abc'), frame('defg')]);
    const d = new FrameDecoder();
    const out: string[] = [];
    for (const byte of all) out.push(...d.push(Buffer.from([byte])).map(String));
    assert.deepEqual(out, ['abc', 'defg']);
  });

  test('a large frame in many chunks is assembled once, when complete', () => {
    const payload = 'x'.repeat(100000);
    const all = frame(payload);
    const d = new FrameDecoder();
    let got: Buffer[] = [];
    for (let i = 0; i < all.length; i += 1000) {
      got = d.push(all.subarray(i, i + 1000));
      if (i + 1000 < all.length) {
        assert.equal(got.length, 0);
        assert.equal(d.pending, i + 1000);
      }
    }
    assert.equal(got.length, 1);
    assert.equal(got[0]!.length, 100000);
  });

  test('sizes below 0 or above the maximum are FrameTooLargeError', () => {
    assert.equal(new FrameDecoder().maxBytes, DEFAULT_MAX_FRAME_BYTES);
    assert.equal(DEFAULT_MAX_FRAME_BYTES, 104857600);
    const negative = Buffer.from('ffffffff', 'hex');
    assert.throws(() => new FrameDecoder().push(negative), (e: unknown) => e instanceof FrameTooLargeError && e.size === -1);
    const big = Buffer.alloc(4);
    big.writeInt32BE(1025, 0);
    assert.throws(() => new FrameDecoder(1024).push(big), (e: unknown) => e instanceof FrameTooLargeError && e.size === 1025);
    big.writeInt32BE(1024, 0);
    assert.deepEqual(new FrameDecoder(1024).push(big), [], 'exactly the maximum is allowed (and waits for its bytes)');
    // Detected as soon as the size arrives, even split over chunks.
    const d = new FrameDecoder(10);
    assert.deepEqual(d.push(Buffer.from('00', 'hex')), []);
    assert.throws(() => d.push(Buffer.from('0000ff', 'hex')), FrameTooLargeError);
  });
});
