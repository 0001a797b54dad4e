// Version ranges in the notation of Kafka's message definitions:
// '0+' (0 and up), '3-7' (inclusive), '5' (exactly 5), 'none' (never).

import type { Versions } from './types.ts';

export interface VersionRange {
  min: number;
  /** Inclusive; Infinity for an open range. */
  max: number;
}

const cache = new Map<string, VersionRange | null>();

/** Parses a range; null for 'none' (or an absent range). */
export function parseVersions(range: Versions | undefined): VersionRange | null {
  if (range === undefined || range === 'none' || range === '') return null;
  let parsed = cache.get(range);
  if (parsed !== undefined) return parsed;
  const m = /^(\d+)(?:(\+)|-(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`bad version range '${range}'`);
  const min = Number(m[1]);
  const max = m[2] ? Infinity : m[3] !== undefined ? Number(m[3]) : min;
  if (max < min) throw new Error(`empty version range '${range}'`);
  parsed = { min, max };
  cache.set(range, parsed);
  return parsed;
}

export function inVersions(range: Versions | undefined, version: number): boolean {
  const r = parseVersions(range);
  return r !== null && version >= r.min && version <= r.max;
}

/** [min, max] of a message's validVersions (which must be closed). */
export function versionBounds(range: Versions): [number, number] {
  const r = parseVersions(range);
  if (r === null || r.max === Infinity) throw new Error(`validVersions must be a closed range, got '${range}'`);
  return [r.min, r.max];
}
