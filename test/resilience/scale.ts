/**
 * Sizes and figures for the resilience suite. `npm test` runs every case at a small size so CI stays fast;
 * `npm run test:resilience` sets RESILIENCE_FULL=1 and runs the same cases at full size. Each suite records its
 * figures (faults injected, runs killed, duplicates, lost items, fuzz cases, refusals, leaks, load) as one JSON file
 * under test-artifacts/resilience/, which is what docs/reliability.md's table is filled from.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** True under `npm run test:resilience`. */
export const FULL = process.env.RESILIENCE_FULL === '1';

/** The small size inside `npm test`, the full size under `npm run test:resilience`. */
export function scaled<T>(small: T, full: T): T {
  return FULL ? full : small;
}

/**
 * Fixed seed for generated cases (fast-check, random kill points, fault choices), overridable with
 * RESILIENCE_SEED=<n> to replay a failure printed by a previous run.
 */
export const SEED = process.env.RESILIENCE_SEED === undefined ? 20261202 : Number(process.env.RESILIENCE_SEED);

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'resilience');

/** Writes `<suite>.json` with the size mode, the seed and the suite's figures, and returns what it wrote. */
export function recordFigures(suite: string, figures: Record<string, unknown>): Record<string, unknown> {
  const record = { suite, mode: FULL ? 'full' : 'small', seed: SEED, recordedAt: new Date().toISOString(), ...figures };
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, `${suite}.json`), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
