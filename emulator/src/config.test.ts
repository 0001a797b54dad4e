import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmulatorConfigError, loadEmulatorConfig } from './config.ts';

test('defaults: Google emulator and kinesis-mock ports, a local broker', () => {
  const c = loadEmulatorConfig([], {});
  assert.deepEqual(c.bootstrapServers, ['127.0.0.1:9092']);
  assert.deepEqual(c.pubsub, { host: '127.0.0.1', port: 8085 });
  assert.deepEqual(c.kinesis, { host: '127.0.0.1', port: 4567 });
});

test('flags win over the environment; off disables a front-end', () => {
  const c = loadEmulatorConfig(['--pubsub', 'off', '--bootstrap-server', 'a:1,b:2'], { TRIBUTARY_PUBSUB_LISTENER: '0.0.0.0:1', TRIBUTARY_KINESIS_LISTENER: '[::1]:4568' });
  assert.equal(c.pubsub, null);
  assert.deepEqual(c.kinesis, { host: '::1', port: 4568 });
  assert.deepEqual(c.bootstrapServers, ['a:1', 'b:2']);
});

test('bad values are refused clearly', () => {
  assert.throws(() => loadEmulatorConfig(['--kinesis', 'nope'], {}), EmulatorConfigError);
  assert.throws(() => loadEmulatorConfig(['--bootstrap-server', 'x'], {}), /not host:port/);
  assert.throws(() => loadEmulatorConfig(['--unknown'], {}), EmulatorConfigError);
});

test('Kinesis options: defaults, the faithful profile turns on per-shard limits, explicit flags win', () => {
  assert.deepEqual(loadEmulatorConfig([], {}).kinesisOptions, { region: 'us-east-1', accountId: '000000000000', shardLimit: 500, enforceLimits: false });
  assert.equal(loadEmulatorConfig(['--profile', 'faithful'], {}).kinesisOptions.enforceLimits, true);
  assert.equal(loadEmulatorConfig(['--profile', 'faithful', '--kinesis-enforce-limits', 'false'], {}).kinesisOptions.enforceLimits, false);
  const c = loadEmulatorConfig(['--kinesis-region', 'eu-west-1', '--kinesis-account', '123456789012', '--kinesis-shard-limit', '20'], {});
  assert.deepEqual(c.kinesisOptions, { region: 'eu-west-1', accountId: '123456789012', shardLimit: 20, enforceLimits: false });
  assert.throws(() => loadEmulatorConfig(['--kinesis-account', '12'], {}), EmulatorConfigError);
  assert.throws(() => loadEmulatorConfig(['--profile', 'strict'], {}), EmulatorConfigError);
});
