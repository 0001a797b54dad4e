// Writes a run's report into the output folder: report.md (tables, machine,
// versions, command), throughput.svg and latency.svg, report.html (one
// self-contained page with the same tables and the SVGs inline) and results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PathResult } from '../result.ts';
import type { PerfToolsResult } from '../perf-tools.ts';
import type { WorkloadSpec } from '../workload.ts';
import type { Machine } from './machine.ts';
import { latencyChart, throughputChart } from './svg.ts';
import { comparisonMatrix, perfMatrix, toHtml, toMarkdown } from './table.ts';

export interface Report {
  startedAt: string;
  seconds: number;
  command: string;
  spec: WorkloadSpec;
  options: Record<string, string | number | boolean>;
  machine: Machine;
  results: PathResult[];
  perf: PerfToolsResult | null;
  /** Paths asked for but not run, with the reason. */
  skipped: string[];
}

export function workloadLine(r: Report): string {
  const s = r.spec;
  return `${s.records.toLocaleString('en-US')} records of ${s.recordSize} B per path, ${s.keys} keys (${s.keyDistribution}${s.keyDistribution === 'zipf' ? `, s=${s.zipfExponent}` : ''}), ` +
    `${s.rate > 0 ? `target ${s.rate.toLocaleString('en-US')} records/s` : 'unthrottled'}, ${s.producers} producers, ${s.consumers} consumers, ${s.partitions} partitions/shards`;
}

export function markdownReport(r: Report): string {
  const m = r.machine;
  const lines = [
    `# Kafka, Pub/Sub and Kinesis on one log — ${r.startedAt}`,
    '',
    `Workload: ${workloadLine(r)}.${Object.keys(r.options).length ? ' Options: ' + Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(', ') + '.' : ''}`,
    '',
    toMarkdown(comparisonMatrix(r.results)),
    '',
  ];
  if (r.perf) lines.push(toMarkdown(perfMatrix(r.perf)), '');
  if (r.skipped.length) lines.push(...r.skipped.map((s) => `- not run: ${s}`), '');
  lines.push(
    `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os} (kernel ${m.kernel}), load average at start ${m.load}; Node ${m.node}; commit ${m.commit}.`,
    `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `Run took ${r.seconds.toFixed(0)} s. Reproduce: \`${r.command}\``,
    '',
  );
  return lines.join('\n');
}

export function htmlReport(r: Report): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const m = r.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tributary compare — ${esc(r.startedAt)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:12px 0;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
thead th{background:#f0f0f0}
tbody th{background:#fafafa;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:16px}
code{background:#f4f4f4;padding:2px 4px}
</style></head>
<body>
<h1>Kafka, Pub/Sub and Kinesis on one log</h1>
<p>${esc(r.startedAt)} — ${esc(workloadLine(r))}.</p>
<div class="charts">
${throughputChart(r.results)}
${latencyChart(r.results)}
</div>
${toHtml(comparisonMatrix(r.results))}
${r.perf ? toHtml(perfMatrix(r.perf)) : ''}
${r.skipped.length ? `<ul>${r.skipped.map((s) => `<li>not run: ${esc(s)}</li>`).join('')}</ul>` : ''}
<p>Machine: ${m.cores} × ${esc(m.cpu)}, ${m.memoryGiB} GiB, ${esc(m.os)} (kernel ${esc(m.kernel)}), load average at start ${esc(m.load)}; Node ${esc(m.node)}; commit ${esc(m.commit)}.<br>
Versions: ${esc(Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', '))}.<br>
Run took ${r.seconds.toFixed(0)} s. Reproduce: <code>${esc(r.command)}</code></p>
</body></html>
`;
}

export function writeReport(dir: string, r: Report): { markdown: string; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const markdown = markdownReport(r);
  const files: [string, string][] = [
    ['report.md', markdown],
    ['throughput.svg', throughputChart(r.results)],
    ['latency.svg', latencyChart(r.results)],
    ['report.html', htmlReport(r)],
    ['results.json', JSON.stringify(r, null, 2) + '\n'],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return { markdown, files: files.map(([n]) => join(dir, n)) };
}
