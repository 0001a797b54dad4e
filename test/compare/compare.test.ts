// The short profile of `tributary compare` (bench/compare/): 2,000 records through
// each of the Kafka, Pub/Sub and Kinesis paths over one broker + emulator, with the
// real clients, then its HTML report opened in headless Chromium. Asserts correctness
// only (no figures: those are for `make compare`), each against the API's contract:
//
// - every path: no record lost, per-key order kept (Kafka per partition/key,
//   Kinesis per shard/partition key with one PutRecords in flight per key's
//   producer, Pub/Sub per ordering key on an ordering subscription);
// - Kafka: no duplicates (idempotent producers, a settled group, no failure);
// - Kinesis: duplicates only from records the producer re-sent (AWS: a retried
//   PutRecords may store a record twice; a reader sees each stored record once);
// - Pub/Sub: duplicates allowed (at-least-once delivery), every id delivered.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../support/broker.ts';
import { CURVE_PERCENTILES } from '../../bench/compare/check.ts';
import { PALETTE } from '../../bench/compare/report/svg.ts';
import type { Report } from '../../bench/compare/report/write.ts';
import { openBrowser } from './chromium.ts';
import { countColour, decodePng, distinctColours } from './png.ts';

const RECORDS = 2000;
const out = mkdtempSync(join(tmpdir(), 'compare-test-'));
after(() => rmSync(out, { recursive: true, force: true }));
let report: Report;

function runCompare(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'compare', 'main.ts'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test(`short profile: ${RECORDS} records per path through Kafka, Pub/Sub and Kinesis, all checked`, { timeout: 300_000 }, async () => {
  const res = await runCompare(['--records', String(RECORDS), '--keys', '50', '--key-distribution', 'zipf',
    '--producers', '2', '--consumers', '2', '--partitions', '3', '--peers', 'off', '--idle-ms', '20000', '--out', out]);
  assert.equal(res.code, 0, `compare failed:\n${res.stderr.slice(-5000)}`);
  report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Report;
  assert.deepEqual(report.results.map((r) => r.label), ['Kafka · Tributary', 'Pub/Sub · Tributary', 'Kinesis · Tributary']);
  assert.deepEqual(report.skipped, []);
  for (const r of report.results) {
    const what = `${r.label}: ${JSON.stringify({ ...r, latency: undefined })}`;
    assert.equal(r.records, RECORDS, what);
    assert.equal(r.acked, RECORDS, what);
    assert.equal(r.delivered, RECORDS, what);
    assert.equal(r.lost, 0, what);
    assert.equal(r.orderPromised, true, what);
    assert.equal(r.orderViolations, 0, what);
    if (r.api === 'kafka') assert.equal(r.duplicates, 0, what);
    if (r.api === 'kinesis') assert.ok(r.duplicates <= r.resent, what);
    assert.ok(r.latency.p50 > 0 && r.latency.p50 <= r.latency.p99 && r.latency.p99 <= r.latency.max, what);
  }
  // The Kafka tools ran on the same broker and their summary lines were parsed.
  assert.ok(report.perf, 'perf tools did not run');
  assert.match(report.perf.producer.line, new RegExp(`^${RECORDS} records sent, `));
  assert.match(report.perf.consumer.line, new RegExp(`^\\d{4}-\\d\\d-\\d\\d [\\d:]+, \\d{4}-\\d\\d-\\d\\d [\\d:]+, [\\d.]+, [\\d.]+, ${RECORDS}, [\\d.]+, 0, \\d+, [\\d.]+, [\\d.]+$`));
  // The Markdown table went to stdout, a row per aspect and a column per path.
  assert.match(res.stdout, /\| {2}\| Kafka · Tributary \| Pub\/Sub · Tributary \| Kinesis · Tributary \|/);
  assert.match(res.stdout, /\| \*\*Lost\*\* \| 0 \| 0 \| 0 \|/);
  assert.match(res.stdout, /Reproduce: `node bench\/compare\/main\.ts /);
});

test('the HTML report renders in headless Chromium: both charts, every series, a non-blank screenshot', { timeout: 120_000 }, async () => {
  assert.ok(report, 'the short profile did not produce a report');
  const page = await openBrowser(1700, 1200);
  try {
    await page.navigate(pathToFileURL(join(out, 'report.html')).href);
    const seen = await page.evaluate<{
      charts: { cls: string; x: number; y: number; w: number; h: number }[];
      bars: { path: string; series: string; w: number; h: number }[];
      points: { path: string; w: number }[];
      tableRows: number;
    }>(`(() => {
      const box = (e) => e.getBoundingClientRect();
      return {
        charts: [...document.querySelectorAll('svg.chart')].map((s) => ({ cls: s.getAttribute('class'), x: box(s).x, y: box(s).y, w: box(s).width, h: box(s).height })),
        bars: [...document.querySelectorAll('svg.throughput rect.bar')].map((e) => ({ path: e.dataset.path, series: e.parentElement.dataset.series, w: box(e).width, h: box(e).height })),
        points: [...document.querySelectorAll('svg.latency circle.point')].map((e) => ({ path: e.parentElement.dataset.path, w: box(e).width })),
        tableRows: document.querySelectorAll('table tbody tr').length,
      };
    })()`);
    assert.deepEqual(seen.charts.map((c) => c.cls), ['chart throughput', 'chart latency']);
    for (const c of seen.charts) assert.ok(c.w > 500 && c.h > 300, JSON.stringify(c));
    const labels = report.results.map((r) => r.label);
    for (const label of labels) {
      const bars = seen.bars.filter((b) => b.path === label);
      assert.deepEqual(bars.map((b) => b.series), ['produce', 'consume'].filter((s) => bars.some((b) => b.series === s)), label);
      assert.equal(bars.length, 2, `${label}: a produce and a consume bar`);
      for (const b of bars) assert.ok(b.w > 1 && b.h > 1, `${label} ${b.series} bar has no area: ${JSON.stringify(b)}`);
      const points = seen.points.filter((p) => p.path === label);
      assert.equal(points.length, CURVE_PERCENTILES.length, `${label}: one point per percentile`);
      assert.ok(points.every((p) => p.w > 0));
    }
    assert.equal(seen.bars.length, 2 * labels.length);
    assert.ok(seen.tableRows >= 15, `comparison table rows: ${seen.tableRows}`);

    const img = decodePng(await page.screenshotPng());
    assert.equal(img.width, 1700);
    assert.ok(distinctColours(img) > 20, 'the screenshot is (nearly) blank');
    const [bars, lines] = seen.charts.map((c) => ({ x: Math.round(c.x), y: Math.round(c.y), width: Math.round(c.w), height: Math.round(c.h) }));
    assert.ok(countColour(img, '#4e79a7', bars) > 200, 'no produce bars painted');
    assert.ok(countColour(img, '#f28e2b', bars) > 200, 'no consume bars painted');
    labels.forEach((label, i) => assert.ok(countColour(img, PALETTE[i], lines) > 50, `${label}'s latency series not painted (${PALETTE[i]})`));
  } finally {
    await page.close();
  }
});

// The restart phase: the broker is stopped (SIGTERM) and started again on the same
// port and data once a third of each path's records are acknowledged. Contracts:
// nothing acknowledged may be lost; duplicates are allowed (Kafka consumers re-read
// past their last commit after the group re-forms, the AWS SDK retries PutRecords);
// order per key must hold for Kafka (idempotent producer). Kinesis's order is
// reported, not asserted: AWS allows a retried record to land after later ones.
// Pub/Sub is not in this run yet: while the broker is away the emulator answers
// Publish with NOT_FOUND (KafkaAccess.partitions() reads any metadata error as "no
// such topic"), which the client rightly does not retry; see bench/compare/README.md.
test('restart phase: the broker restarts under the Kafka and Kinesis paths and no acknowledged record is lost', { timeout: 300_000 }, async () => {
  const dir = join(out, 'restart');
  const res = await runCompare(['--records', '3000', '--keys', '100', '--paths', 'kafka,kinesis', '--peers', 'off', '--perf-tools', 'off', '--restart', '--idle-ms', '30000', '--out', dir]);
  assert.equal(res.code, 0, `compare --restart failed:\n${res.stderr.slice(-5000)}`);
  assert.equal(res.stderr.match(/restart phase: broker back after/g)?.length, 2, res.stderr.slice(-3000));
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Report;
  assert.deepEqual(r.results.map((x) => x.api), ['kafka', 'kinesis']);
  for (const x of r.results) {
    const what = `${x.label}: ${JSON.stringify({ ...x, latency: undefined })}`;
    assert.ok(x.notes.some((n) => n.startsWith('broker restarted')), what);
    assert.equal(x.acked, 3000, what);
    assert.equal(x.lost, 0, what);
    if (x.api !== 'kinesis') assert.equal(x.orderViolations, 0, what);
  }
});
