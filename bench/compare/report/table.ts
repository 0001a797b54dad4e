// The comparison as one matrix (a column per path, a row per aspect), rendered as
// Markdown for stdout/README and as HTML for the page. Descriptive rows come from
// facts.ts; measured rows from the run.
import type { PathResult } from '../result.ts';
import type { PerfToolsResult } from '../perf-tools.ts';
import { FACTS, PEER_FACTS } from './facts.ts';

export interface Matrix {
  header: string[];
  rows: string[][];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (!Number.isFinite(n) ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function comparisonMatrix(results: PathResult[]): Matrix {
  const header = ['', ...results.map((r) => r.label)];
  const fact = (k: keyof (typeof FACTS)['kafka']) => results.map((r) => PEER_FACTS[r.server]?.[k] ?? FACTS[r.api][k]);
  const rows: [string, string[]][] = [
    ['Who operates it', fact('operates')],
    ['SDK (this run)', results.map((r) => r.client)],
    ['Ordering unit', fact('orderingUnit')],
    ['Retention', fact('retention')],
    ['Replication', fact('replication')],
    ['Where acks / positions live', fact('acks')],
    ['Limits', fact('limits')],
    ['Delivery contract', fact('contract')],
    ['How this run used it', results.map((r) => r.notes.join('; '))],
    ['Records sent / acknowledged', results.map((r) => `${int(r.records)} / ${int(r.acked)}`)],
    ['Produce throughput (records/s)', results.map((r) => int(r.produceRate))],
    ['Consume throughput (records/s)', results.map((r) => int(r.consumeRate))],
    ['All delivered after (s)', results.map((r) => r.endToEndSeconds.toFixed(1))],
    ['End-to-end latency p50 / p95 (ms)', results.map((r) => `${ms(r.latency.p50)} / ${ms(r.latency.p95)}`)],
    ['End-to-end latency p99 / p99.9 (ms)', results.map((r) => `${ms(r.latency.p99)} / ${ms(r.latency.p999)}`)],
    ['Lost', results.map((r) => int(r.lost))],
    ['Duplicates (redelivered ids)', results.map((r) => `${int(r.duplicates)} (${int(r.redeliveredIds)})`)],
    ['Ordering violations per key', results.map((r) => `${int(r.orderViolations)}${r.orderPromised ? '' : ' (order not promised)'}`)],
    ['Records re-sent by the producer', results.map((r) => int(r.resent))],
  ];
  if (results.some((r) => r.error)) rows.push(['Error', results.map((r) => r.error ?? '')]);
  return { header, rows: rows.map(([name, cells]) => [name, ...cells]) };
}

export function perfMatrix(p: PerfToolsResult): Matrix {
  return {
    header: ['Kafka tools on the same broker', 'records/s', 'MB/s', 'latency p50 / p95 / p99 / p99.9 (ms)'],
    rows: [
      ['tributary producer-perf-test (acks=all)', int(p.producer.recordsPerSec), p.producer.mbPerSec.toFixed(2), `${p.producer.p50} / ${p.producer.p95} / ${p.producer.p99} / ${p.producer.p999}`],
      ['tributary consumer-perf-test', int(p.consumer.recordsPerSec), p.consumer.mbPerSec.toFixed(2), '–'],
    ],
  };
}

export function toMarkdown(m: Matrix): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${m.header.map(cell).join(' | ')} |`,
    `|${m.header.map(() => '---').join('|')}|`,
    ...m.rows.map((r) => `| ${r.map((c, i) => (i === 0 ? `**${cell(c)}**` : cell(c))).join(' | ')} |`),
  ].join('\n');
}

export function toHtml(m: Matrix): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<table>\n<thead><tr>${m.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${
    m.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n')
  }\n</tbody>\n</table>`;
}
