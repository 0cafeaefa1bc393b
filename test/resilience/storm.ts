/**
 * Fault storms for the resilience suite: one seeded set of sandbox fault rules that makes a given share of Graph
 * requests fail the ways Graph fails (429 with and without Retry-After, at top level and inside `$batch`, 503, 504,
 * connection resets, and answers lost after the write was applied), plus the figures a storm run reports against the
 * fault-free run of the same input.
 */
import type { FaultRule, SandboxKnobs } from '../../local/sandbox';
import { scaled, SEED } from './scale';

/** Fault rates a storm runs at: 25% in `npm test`, each of 10, 25 and 50% at full size. */
export const STORM_RATES: readonly number[] = scaled([0.25], [0.1, 0.25, 0.5]);

/** Cap of each storm rule: high enough never to be reached, so what is left of it counts what was injected. */
export const STORM_CAP = 1_000_000;

interface StormRule {
  readonly label: string;
  readonly share: number;
  readonly rule: Omit<FaultRule, 'rate' | 'times'>;
}

/**
 * How a storm's rate is shared between fault kinds. Shares of one phase add up to the rate of that phase: 80% of
 * the faults come before the request runs, 20% after it was applied (a lost answer). A reset drawn by a `$batch` item
 * drops the whole batch, so it gets a small share of its own: one connection carries up to 20 items.
 */
const KINDS: readonly StormRule[] = [
  { label: '429 Retry-After', share: 0.1, rule: { kind: '429', retryAfterSeconds: 0.05, scope: 'topLevel' } },
  { label: '429 no Retry-After', share: 0.1, rule: { kind: '429', scope: 'topLevel' } },
  { label: '429 Retry-After in $batch', share: 0.1, rule: { kind: '429', retryAfterSeconds: 0.05, scope: 'batchItem' } },
  { label: '429 no Retry-After in $batch', share: 0.1, rule: { kind: '429', scope: 'batchItem' } },
  { label: '503', share: 0.15, rule: { kind: '503' } },
  { label: '504', share: 0.15, rule: { kind: '504' } },
  { label: 'reset', share: 0.08, rule: { kind: 'reset', scope: 'topLevel' } },
  { label: 'reset of a whole $batch', share: 0.02, rule: { kind: 'reset', scope: 'batchItem' } },
  { label: 'lost answer (504 after the write)', share: 0.1, rule: { kind: '504', when: 'after' } },
  { label: 'lost answer (reset after the write)', share: 0.08, rule: { kind: 'reset', when: 'after', scope: 'topLevel' } },
  {
    label: 'lost answer (whole $batch reset after its writes)',
    share: 0.02,
    rule: { kind: 'reset', when: 'after', scope: 'batchItem' },
  },
];

/**
 * The clock a storm runs on. A storm's 429s on writes look to the app like Graph's write quota running out, and its
 * write budget answers as it would to Graph: no write until the Retry-After, and half the refill rate, recovering over
 * one 150 s window. On a real clock a 50% storm then spends most of an hour waiting on that window; the app's pacing
 * (GRAPH_PACING_TIME_SCALE, `STORM_APP_SETTINGS`) and the sandbox (its timeScale knob) run 50× faster instead, so the
 * storm exercises the same pacing decisions in a minute. The fault-free run uses the same clock.
 */
export const STORM_TIME_SCALE = 50;

/**
 * App settings every storm suite adds: the gateway's pacing on the storm's clock, and retry waits capped at 100 ms
 * (each retry still waits; thousands of them at Graph's real backoff would only add idle time, not new decisions).
 */
export const STORM_APP_SETTINGS: Readonly<Record<string, string>> = {
  GRAPH_PACING_TIME_SCALE: String(STORM_TIME_SCALE),
  GRAPH_MAX_BACKOFF_MS: '100',
};

/** Knobs for a storm faulting `rate` (0–1) of requests, seeded for replay; the sandbox's own throttling stays off. */
export function stormKnobs(rate: number, seed = SEED): Partial<SandboxKnobs> {
  return {
    throttling: { enabled: false, tenantSize: 'auto' },
    timeScale: STORM_TIME_SCALE,
    faultSeed: seed,
    faults: KINDS.map((k) => ({ ...k.rule, rate: rate * k.share, times: STORM_CAP })),
  };
}

/** The same sandbox without faults or throttling: the reference run. */
export const QUIET_KNOBS: Partial<SandboxKnobs> = {
  throttling: { enabled: false, tenantSize: 'auto' },
  timeScale: STORM_TIME_SCALE,
  faults: [],
};

async function control<T>(sandboxUrl: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sandboxUrl}/_sandbox/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export const setKnobs = (sandboxUrl: string, knobs: Partial<SandboxKnobs>): Promise<void> => control(sandboxUrl, 'knobs', knobs);

/** Faults the sandbox injected since the storm began, by kind (read from what is left of each rule's cap). */
export async function injectedFaults(sandboxUrl: string): Promise<Record<string, number>> {
  const knobs = await control<SandboxKnobs>(sandboxUrl, 'knobs');
  const out: Record<string, number> = {};
  KINDS.forEach((k, i) => {
    const left = knobs.faults[i]?.times;
    if (left !== undefined && knobs.faults.length === KINDS.length) out[k.label] = STORM_CAP - left;
  });
  return out;
}

export interface RunMeasure {
  /** Top-level Graph requests and `$batch` items the sandbox counted. */
  readonly calls: number;
  readonly batchItems: number;
  readonly throttled: number;
  readonly ms: number;
}

/** Runs `work` with zeroed sandbox counters and returns what the sandbox counted and how long it took. */
export async function measured<T>(sandboxUrl: string, work: () => Promise<T>): Promise<{ result: T; measure: RunMeasure }> {
  await control(sandboxUrl, 'stats/reset', {});
  const started = performance.now();
  const result = await work();
  const ms = Math.round(performance.now() - started);
  const stats = await control<{ requests: number; subRequests: number; throttled: number }>(sandboxUrl, 'stats');
  return { result, measure: { calls: stats.requests, batchItems: stats.subRequests, throttled: stats.throttled, ms } };
}

/** One job's storm figures against its fault-free run, as recorded in test-artifacts/resilience/. */
export function stormFigures(
  quiet: RunMeasure,
  storm: RunMeasure,
  faults: Record<string, number>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const injected = Object.values(faults).reduce((a, b) => a + b, 0);
  return {
    faultFree: quiet,
    storm,
    faultsInjected: injected,
    faultsByKind: faults,
    extraCalls: storm.calls + storm.batchItems - (quiet.calls + quiet.batchItems),
    timeRatio: quiet.ms > 0 ? Math.round((storm.ms / quiet.ms) * 100) / 100 : undefined,
    ...extra,
  };
}
