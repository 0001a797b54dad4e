// How long each fuzz target runs, and with which seeds. Every target runs a
// fixed number of inputs from a fixed seed (the same inputs on every machine),
// then keeps going from a fresh random seed until its share of FUZZ_SECONDS is
// spent. The random seed is printed; FUZZ_SEED=<seed> replays that phase.
//
// FUZZ_SECONDS is the total over all in-process targets (default 20, the short
// run inside `make test`; `make fuzz` sets 600).

import fc from 'fast-check';

export const DEFAULT_FUZZ_SECONDS = 20;
export const FIXED_SEED = 0x7219b7;

/** Total seconds for the in-process targets. */
export function fuzzSeconds(): number {
  const s = Number(process.env.FUZZ_SECONDS ?? DEFAULT_FUZZ_SECONDS);
  return Number.isFinite(s) && s >= 0 ? s : DEFAULT_FUZZ_SECONDS;
}

/** The seed of the random phase: FUZZ_SEED when set, else a fresh one. */
export function randomPhaseSeed(): number {
  const s = process.env.FUZZ_SEED;
  if (s !== undefined && s !== '') return Number(s) | 0;
  return (Math.random() * 0x7fffffff) | 0;
}

export interface FuzzReport {
  target: string;
  /** Inputs run over both phases. */
  runs: number;
  seconds: number;
  seed: number;
}

/**
 * Runs `property` over `arb`: `fixedRuns` inputs from FIXED_SEED, then inputs from a
 * random seed for `share` of FUZZ_SECONDS. Throws fast-check's report (seed, path,
 * shrunk counterexample) on the first failing input.
 */
export function fuzz<T>(
  target: string,
  arb: fc.Arbitrary<T>,
  property: (value: T) => void,
  opts: { share: number; fixedRuns: number },
): FuzzReport {
  const started = performance.now();
  const prop = fc.property(arb, property);
  const fixed = fc.check(prop, { seed: FIXED_SEED, numRuns: opts.fixedRuns });
  if (fixed.failed) throw new Error(`${target} (fixed seed):\n${fc.defaultReportMessage(fixed)}`);
  let runs = fixed.numRuns;
  const seed = randomPhaseSeed();
  const budgetMs = fuzzSeconds() * 1000 * opts.share;
  if (budgetMs > 0) {
    const random = fc.check(prop, {
      seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      plugins: [fc.interruptAfterTimeLimit(budgetMs)],
    });
    if (random.failed) throw new Error(`${target} (FUZZ_SEED=${seed}):\n${fc.defaultReportMessage(random)}`);
    runs += random.numRuns;
  }
  return { target, runs, seconds: (performance.now() - started) / 1000, seed };
}

export function describeReport(r: FuzzReport): string {
  return `fuzz ${r.target}: ${r.runs} inputs in ${r.seconds.toFixed(1)} s (random phase FUZZ_SEED=${r.seed})`;
}
