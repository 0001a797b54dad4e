// Seed inputs: the frames real clients sent (fixtures/captured/<client>/*.hex,
// whole frames with their int32 size) and the regression inputs kept under
// regressions/ for every bug the fuzzers found.

import { readdirSync, statSync } from 'node:fs';
import { readHexFixture } from '../testing/samples.ts';

const CAPTURED = new URL('../fixtures/captured/', import.meta.url);
export const REGRESSIONS = new URL('./regressions/', import.meta.url);

export interface CorpusEntry {
  name: string;
  /** Request frame without its size prefix. */
  frame: Buffer;
}

/** Every captured client request, as a frame without its size prefix. */
export function capturedFrames(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const client of readdirSync(CAPTURED).sort()) {
    if (!statSync(new URL(client, CAPTURED)).isDirectory()) continue;
    const dir = new URL(`${client}/`, CAPTURED);
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.hex')) continue;
      const whole = readHexFixture(new URL(file, dir));
      if (whole.length < 4 || whole.readInt32BE(0) !== whole.length - 4) throw new Error(`captured ${client}/${file}: size prefix does not match`);
      out.push({ name: `${client}/${file}`, frame: whole.subarray(4) });
    }
  }
  return out;
}

/** Regression inputs whose file name starts with `prefix` (hex with # comments). */
export function regressionInputs(prefix: string): { name: string; bytes: Buffer }[] {
  return readdirSync(REGRESSIONS)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.hex'))
    .sort()
    .map((f) => ({ name: f, bytes: readHexFixture(new URL(f, REGRESSIONS)) }));
}
