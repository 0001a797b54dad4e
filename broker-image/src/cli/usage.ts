// Command-line parsing shared by the tools: Kafka-style long flags, clear
// errors for unknown or malformed ones.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args: joinNegativeValues(args), options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--throughput -1` as Kafka's tools accept it: a negative number is a value, not a flag. */
function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (args[i].startsWith('--') && !args[i].includes('=') && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** `key=value` pairs (repeated --config / --override / --property flags). */
export function keyValues(pairs: string[] | undefined, flag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} expects key=value, got '${pair}'`);
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

export function requireFlag<V>(value: V | undefined, flag: string): V {
  if (value === undefined || value === '') throw new UsageError(`missing required option --${flag}`);
  return value;
}

export function intFlag(value: string | undefined, flag: string, dflt?: number): number {
  if (value === undefined) {
    if (dflt === undefined) throw new UsageError(`missing required option --${flag}`);
    return dflt;
  }
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${flag} expects an integer, got '${value}'`);
  return n;
}

/**
 * Kafka's tools take several values after some flags (`--producer-props a=1 b=2`);
 * rewrite those into repeated flags so parseArgs can read them.
 */
export function expandMultiValueFlags(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  let current: string | null = null;
  for (const arg of args) {
    if (arg.startsWith('--')) {
      current = flags.includes(arg) ? arg : null;
      if (!current) out.push(arg);
      continue;
    }
    if (current) out.push(current, arg);
    else out.push(arg);
  }
  return out;
}
