import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../primitives/protocol-error.ts';
import { Reader } from '../primitives/reader.ts';
import { compileMessage, decodeMessage, encodeMessage } from './codec.ts';
import { field, struct, structArray, type MessageSpec } from './types.ts';
import { inVersions, parseVersions, versionBounds } from './versions.ts';

const spec: MessageSpec = {
  name: 'Test',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field('id', 'int32', '0+'),
    field('name', 'string', '0+', { nullableVersions: '1+' }),
    field('since1', 'int64', '1+', { default: -1 }),
    field('until1', 'int16', '0-1'),
    field('flag', 'bool', '0+'),
    structArray('items', '0+', [
      field('key', 'string', '0+'),
      field('value', 'bytes', '0+', { nullableVersions: '0+' }),
      field('extra', 'int32', '3+', { taggedVersions: '3+', tag: 0, default: 7 }),
    ]),
    field('ids', '[]int32', '0+', { nullableVersions: '1+' }),
    field('note', 'string', '2+', { nullableVersions: '2+', default: null, taggedVersions: '2+', tag: 1 }),
    struct('leader', '2+', [
      field('leaderId', 'int32', '2+', { default: -1 }),
      field('epoch', 'int32', '2+', { default: -1 }),
    ], { taggedVersions: '2+', tag: 0 }),
    field('uid', 'uuid', '1+'),
  ],
};

describe('version ranges', () => {
  test('parse the notations of Kafka message definitions', () => {
    assert.deepEqual(parseVersions('0+'), { min: 0, max: Infinity });
    assert.deepEqual(parseVersions('3-7'), { min: 3, max: 7 });
    assert.deepEqual(parseVersions('5'), { min: 5, max: 5 });
    assert.equal(parseVersions('none'), null);
    assert.equal(inVersions('3-7', 7), true);
    assert.equal(inVersions('3-7', 8), false);
    assert.equal(inVersions(undefined, 0), false);
    assert.deepEqual(versionBounds('0-11'), [0, 11]);
    assert.throws(() => versionBounds('0+'));
    assert.throws(() => parseVersions('x'));
  });
});

describe('schema codec', () => {
  test('classic version: exact bytes', () => {
    const bytes = encodeMessage(spec, 0, { id: 1, name: 'a', until1: 2, flag: true, items: [{ key: 'k', value: null }], ids: [9] });
    assert.equal(bytes.toString('hex'),
      '00000001' + '000161' + '0002' + '01' + '00000001' + '00016b' + 'ffffffff' + '00000001' + '00000009');
  });

  test('flexible version: compact encodings and an empty tag section after every struct', () => {
    const bytes = encodeMessage(spec, 2, { id: 1, name: 'a', since1: 5n, flag: false, items: [{ key: 'k', value: Buffer.from('v') }], ids: [] });
    assert.equal(bytes.toString('hex'),
      '00000001' + '0261' + '0000000000000005' + '00' + '02' + '026b' + '0276' + '00' + '01' + '00000000000000000000000000000000' + '00');
  });

  test('absent properties encode as defaults; decoding fills fields the version lacks', () => {
    const decoded = decodeMessage(spec, 0, encodeMessage(spec, 0, {}));
    assert.deepEqual(decoded, {
      id: 0, name: '', since1: -1n, until1: 0, flag: false, items: [], ids: [], note: null,
      leader: { leaderId: -1, epoch: -1 }, uid: Buffer.alloc(16),
    });
    const v3 = decodeMessage(spec, 3, encodeMessage(spec, 3, { items: [{}] }));
    assert.equal(v3.until1, 0, 'absent in v3: default');
    assert.equal(v3.name, null, 'nullable string without explicit default: null');
    assert.deepEqual(v3.items, [{ key: '', value: null, extra: 7 }]);
  });

  test('tagged fields are written only when they differ from the default', () => {
    const plain = encodeMessage(spec, 2, { leader: { leaderId: -1, epoch: -1 }, note: null });
    const withDefaultsOmitted = encodeMessage(spec, 2, {});
    assert.deepEqual(plain, withDefaultsOmitted);
    assert.equal(plain[plain.length - 1], 0, 'no tagged fields');

    const tagged = encodeMessage(spec, 2, { leader: { leaderId: 3, epoch: 9 }, note: 'hi' });
    // Section: 2 fields, tag 0 (leader: 8 bytes + its own empty section), tag 1 (note: compact "hi").
    assert.equal(tagged.subarray(tagged.length - 17).toString('hex'), '02' + '00' + '09' + '00000003' + '00000009' + '00' + '01' + '03' + '036869');
    const back = decodeMessage(spec, 2, tagged);
    assert.deepEqual(back.leader, { leaderId: 3, epoch: 9 });
    assert.equal(back.note, 'hi');
  });

  test('a tagged field inside array elements (v3)', () => {
    const body = { items: [{ key: 'a', value: null, extra: 7 }, { key: 'b', value: null, extra: 8 }] };
    const back = decodeMessage(spec, 3, encodeMessage(spec, 3, body));
    assert.deepEqual(back.items, body.items);
  });

  test('unknown tags are skipped on decode', () => {
    const bytes = encodeMessage(spec, 2, { id: 4 });
    // Replace the final (top-level) empty tag section with one holding unknown tags 5 and 9.
    const withUnknown = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from('02' + '05' + '02' + 'abcd' + '09' + '00', 'hex')]);
    const back = decodeMessage(spec, 2, withUnknown);
    assert.equal(back.id, 4);
    assert.deepEqual(back.leader, { leaderId: -1, epoch: -1 });
  });

  test('null where the version does not allow it is refused', () => {
    assert.throws(() => encodeMessage(spec, 0, { name: null }), ProtocolError);
    assert.throws(() => encodeMessage(spec, 0, { ids: null }), ProtocolError);
    assert.equal(decodeMessage(spec, 1, encodeMessage(spec, 1, { name: null, ids: null })).name, null);
    assert.throws(() => decodeMessage(spec, 0, Buffer.from('00000001ffff', 'hex')), ProtocolError);
  });

  test('int64 accepts numbers; records accept a list of buffers', () => {
    assert.equal(decodeMessage(spec, 1, encodeMessage(spec, 1, { since1: 12 })).since1, 12n);
    const recSpec: MessageSpec = { name: 'R', validVersions: '0-1', flexibleVersions: '1+', fields: [field('records', 'records', '0+', { nullableVersions: '0+' })] };
    for (const v of [0, 1]) {
      const back = decodeMessage(recSpec, v, encodeMessage(recSpec, v, { records: [Buffer.from('ab'), Buffer.from('cd')] }));
      assert.equal(back.records.toString(), 'abcd');
    }
  });

  test('compiled once per (spec, version)', () => {
    assert.equal(compileMessage(spec, 2), compileMessage(spec, 2));
    assert.notEqual(compileMessage(spec, 1), compileMessage(spec, 2));
    assert.throws(() => compileMessage(spec, 4), /no version 4/);
  });

  test('trailing bytes are an error for decodeMessage; read() stops at the body end', () => {
    const bytes = Buffer.concat([encodeMessage(spec, 0, {}), Buffer.from([1])]);
    assert.throws(() => decodeMessage(spec, 0, bytes), /trailing/);
    const r = new Reader(bytes);
    compileMessage(spec, 0).read(r);
    assert.equal(r.remaining(), 1);
  });
});
