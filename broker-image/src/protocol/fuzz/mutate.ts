// Mutations of valid bytes, aimed at what breaks decoders: bit flips, the byte
// values that turn length prefixes into -1 / huge / varint continuations,
// int16/int32 lengths set to huge or negative values, varints that overflow,
// truncation, inserted / deleted / duplicated ranges, tagged-field sections
// with repeated or unknown tags, and splices of another input. Positions are
// naturals taken modulo the input's length, so fast-check can shrink them.

import fc from 'fast-check';

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; value: number }
  | { op: 'int16'; at: number; value: number }
  | { op: 'int32'; at: number; value: number }
  | { op: 'varint'; at: number; bytes: number[] }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'tagged'; at: number; tags: number[]; size: number }
  | { op: 'splice'; at: number; from: number; len: number; donor: number }
  | { op: 'retarget'; target: number };

const BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const INT16 = [-1, -2, 0x7fff, -0x8000, 0, 1, 0x100];
const INT32 = [0x7fffffff, -1, -2, -0x80000000, 0x40000000, 0x01000000, 0x10000, 0, 1, 0xff];
const VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 - 1: a compact length of ~4 G
  [0xff, 0xff, 0xff, 0xff, 0x7f], // fifth byte above 32 bits
  [0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // six bytes
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // eleven bytes
  [0xfe, 0xff, 0xff, 0xff, 0x07], // 2^31 - 2
  [0x80, 0x80, 0x80, 0x80, 0x08], // 2^31
  [0x80], // a continuation and nothing after it
  [0x00],
];

const at = fc.nat({ max: 1 << 16 });

/** One mutation; `targets` is how many (apiKey, version) pairs a retarget may pick from (0: none). */
export function mutationArb(targets = 0, donors = 0): fc.Arbitrary<Mutation> {
  const ops: fc.Arbitrary<Mutation>[] = [
    fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('byte' as const), at, value: fc.oneof(fc.constantFrom(...BYTES), fc.integer({ min: 0, max: 255 })) }),
    fc.record({ op: fc.constant('int16' as const), at, value: fc.constantFrom(...INT16) }),
    fc.record({ op: fc.constant('int32' as const), at, value: fc.constantFrom(...INT32) }),
    fc.record({ op: fc.constant('varint' as const), at, bytes: fc.constantFrom(...VARINTS) }),
    fc.record({ op: fc.constant('insert' as const), at, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
    fc.record({ op: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant('duplicate' as const), at, len: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ op: fc.constant('truncate' as const), at }),
    fc.record({
      op: fc.constant('tagged' as const),
      at,
      tags: fc.array(fc.oneof(fc.constantFrom(0, 0, 1, 2), fc.nat({ max: 1 << 20 })), { minLength: 1, maxLength: 3 }),
      size: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(0x7fffffff)),
    }),
  ];
  if (donors > 0) {
    ops.push(fc.record({ op: fc.constant('splice' as const), at, from: at, len: fc.integer({ min: 1, max: 64 }), donor: fc.nat({ max: donors - 1 }) }));
  }
  if (targets > 0) ops.push(fc.record({ op: fc.constant('retarget' as const), target: fc.nat({ max: targets - 1 }) }));
  return fc.oneof(...ops);
}

export function mutationsArb(targets = 0, donors = 0): fc.Arbitrary<Mutation[]> {
  return fc.array(mutationArb(targets, donors), { minLength: 1, maxLength: 4 });
}

function uvarint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
  out.push(v);
  return out;
}

export interface MutateContext {
  /** (apiKey, apiVersion) pairs for `retarget` (written over the first 4 bytes). */
  targets?: readonly { apiKey: number; version: number }[];
  /** Other inputs to splice from. */
  donors?: readonly Buffer[];
}

/** Applies the mutations in order to a copy of `input`. */
export function applyMutations(input: Buffer, muts: readonly Mutation[], ctx: MutateContext = {}): Buffer {
  let b: Buffer = Buffer.from(input);
  for (const m of muts) b = applyOne(b, m, ctx);
  return b;
}

function applyOne(b: Buffer, m: Mutation, ctx: MutateContext): Buffer {
  const len = b.length;
  const pos = len === 0 ? 0 : m.op === 'retarget' ? 0 : m.at % len;
  const ins = m.op === 'retarget' ? 0 : m.at % (len + 1);
  switch (m.op) {
    case 'flip': if (len) b[pos] ^= 1 << m.bit; return b;
    case 'byte': if (len) b[pos] = m.value; return b;
    case 'int16': if (len >= 2) b.writeInt16BE(m.value, Math.min(pos, len - 2)); return b;
    case 'int32': if (len >= 4) b.writeInt32BE(m.value | 0, Math.min(pos, len - 4)); return b;
    case 'varint': return Buffer.concat([b.subarray(0, ins), Buffer.from(m.bytes), b.subarray(Math.min(len, ins + m.bytes.length))]);
    case 'insert': return Buffer.concat([b.subarray(0, ins), Buffer.from(m.bytes), b.subarray(ins)]);
    case 'delete': return Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(len, pos + m.len))]);
    case 'duplicate': {
      const slice = b.subarray(pos, Math.min(len, pos + m.len));
      return Buffer.concat([b.subarray(0, pos + slice.length), slice, b.subarray(pos + slice.length)]);
    }
    case 'truncate': return b.subarray(0, ins);
    case 'tagged': {
      // A tagged-field section (count, then tag/size/bytes each) over the byte at `pos`,
      // which in a flexible message is often an empty section (0x00).
      const section: number[] = [...uvarint(m.tags.length)];
      for (const tag of m.tags) {
        section.push(...uvarint(tag), ...uvarint(m.size));
        if (m.size <= 4) for (let i = 0; i < m.size; i++) section.push(i);
      }
      return Buffer.concat([b.subarray(0, pos), Buffer.from(section), b.subarray(Math.min(len, pos + 1))]);
    }
    case 'splice': {
      const donor = ctx.donors?.[m.donor % (ctx.donors.length || 1)];
      if (!donor || donor.length === 0) return b;
      const from = m.from % donor.length;
      return Buffer.concat([b.subarray(0, ins), donor.subarray(from, from + m.len), b.subarray(ins)]);
    }
    case 'retarget': {
      const t = ctx.targets?.[m.target % (ctx.targets.length || 1)];
      if (!t || len < 4) return b;
      b.writeInt16BE(t.apiKey, 0);
      b.writeInt16BE(t.version, 2);
      return b;
    }
  }
}
