// Renders a chart like `helm template` with test/chart-render (Go text/template +
// sprig), for tests on machines without helm. Values are passed as a JSON file
// (JSON is YAML). Returns the multi-document YAML.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let binary: string | undefined;

/** Builds (once, cached by source hash) and returns the chart-render binary. */
export function chartRenderBinary(): string {
  binary ??= execFileSync(fileURLToPath(new URL('./build.sh', import.meta.url)), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return binary;
}

export interface RenderOptions {
  values?: Record<string, unknown>;
  set?: string[];
  releaseName?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

export function renderChart(chartDir: string, opts: RenderOptions = {}): string {
  const args = ['--name', opts.releaseName ?? 'release-name', '--namespace', opts.namespace ?? 'default'];
  if (opts.kubeVersion) args.push('--kube-version', opts.kubeVersion);
  if (opts.apiVersions?.length) args.push('--api-versions', opts.apiVersions.join(','));
  let tmp: string | undefined;
  if (opts.values) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-values-'));
    fs.writeFileSync(path.join(tmp, 'values.json'), JSON.stringify(opts.values));
    args.push('-f', path.join(tmp, 'values.json'));
  }
  for (const s of opts.set ?? []) args.push('--set', s);
  try {
    return execFileSync(chartRenderBinary(), [...args, chartDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    throw new Error(`chart-render ${chartDir} failed: ${e.stderr ?? e.message}`);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
