// The report's two charts as standalone SVG strings (no browser, no library):
// grouped throughput bars (produce and consume records/s per path) and an
// HdrHistogram-style latency percentile plot (x: percentile on a 1/(1-p) log scale,
// y: end-to-end ms on a log scale). Elements carry classes and data-* attributes so
// a test can count the series a browser rendered.
import type { PathResult } from '../result.ts';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : n >= 1000 ? `${(n / 1e3).toFixed(1)}k` : n >= 10 ? n.toFixed(0) : n.toFixed(1));

export function throughputChart(results: PathResult[]): string {
  const W = 760;
  const H = 360;
  const m = { l: 70, r: 20, t: 40, b: 90 };
  const series = [
    { name: 'produce', title: 'produce / publish / put', color: '#4e79a7', get: (r: PathResult) => r.produceRate },
    { name: 'consume', title: 'consume / receive / get', color: '#f28e2b', get: (r: PathResult) => r.consumeRate },
  ];
  // Log scale: the paths differ by orders of magnitude, and a linear axis leaves the
  // slower ones without a visible bar.
  const values = results.flatMap((r) => series.map((s) => s.get(r))).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(Math.min(...values, 10), 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const ph = H - m.t - m.b;
  const group = (W - m.l - m.r) / Math.max(results.length, 1);
  const bw = Math.min(60, (group * 0.8) / series.length);
  const y = (v: number) => m.t + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart throughput" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Throughput (records/s, log scale, higher is better)</text>`);
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const [si, s] of series.entries()) {
    out.push(`<g class="series" data-series="${s.name}" fill="${s.color}">`);
    results.forEach((r, i) => {
      const v = s.get(r);
      const x = m.l + i * group + (group - bw * series.length) / 2 + si * bw;
      out.push(`<rect class="bar" data-path="${esc(r.label)}" data-value="${v.toFixed(1)}" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(m.t + ph - y(v)).toFixed(1)}"><title>${esc(r.label)} ${s.name}: ${v.toFixed(0)} records/s</title></rect>`);
      out.push(`<text x="${(x + bw / 2 - 1).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${fmt(v)}</text>`);
    });
    out.push('</g>');
  }
  results.forEach((r, i) => {
    const cx = m.l + i * group + group / 2;
    const [a, b] = r.label.split(' · ');
    out.push(`<text x="${cx}" y="${H - m.b + 18}" text-anchor="middle">${esc(a)}</text><text x="${cx}" y="${H - m.b + 33}" text-anchor="middle" fill="#555">${esc(b ?? '')}</text>`);
  });
  out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`);
  series.forEach((s, i) => {
    const x = m.l + i * 220;
    out.push(`<rect x="${x}" y="${H - 28}" width="14" height="14" fill="${s.color}"/><text x="${x + 20}" y="${H - 17}">${esc(s.title)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export function latencyChart(results: PathResult[]): string {
  const W = 760;
  const H = 420;
  const m = { l: 70, r: 20, t: 40, b: 110 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const maxX = Math.log10(1 / (1 - 0.9999));
  const x = (p: number) => m.l + (Math.log10(1 / (1 - p / 100)) / maxX) * pw;
  const values = results.flatMap((r) => r.latency.curve.map(([, v]) => v)).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(Math.min(...values, 1), 0.01)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const y = (v: number) => m.t + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart latency" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">End-to-end latency by percentile (ms, log scale, lower is better)</text>`);
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const p of [0, 50, 90, 99, 99.9, 99.99]) {
    out.push(`<line x1="${x(p)}" x2="${x(p)}" y1="${m.t}" y2="${m.t + ph}" stroke="#eee"/><text x="${x(p)}" y="${m.t + ph + 16}" text-anchor="middle">p${p}</text>`);
  }
  results.forEach((r, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = r.latency.curve.filter(([, v]) => Number.isFinite(v));
    out.push(`<g class="series" data-path="${esc(r.label)}" stroke="${color}" fill="${color}">`);
    out.push(`<polyline fill="none" stroke-width="2" points="${pts.map(([p, v]) => `${x(p).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
    for (const [p, v] of pts) out.push(`<circle class="point" data-p="${p}" data-ms="${v.toFixed(3)}" cx="${x(p).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5"><title>${esc(r.label)} p${p}: ${v.toFixed(2)} ms</title></circle>`);
    out.push('</g>');
    const lx = m.l + (i % 3) * 230;
    const ly = H - 50 + Math.floor(i / 3) * 18;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="14" height="4" fill="${color}"/><text x="${lx + 20}" y="${ly - 4}">${esc(r.label)}</text>`);
  });
  out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`);
  out.push('</svg>');
  return out.join('\n');
}
