/**
 * The suite loop shared by every job's kill test: one clean run, then one killed run per kill point (each followed by
 * the re-runs production would make), each compared with the clean run; figures recorded per job.
 */
import { expect } from 'vitest';

import type { AppStack } from '../helpers/appStack';
import type { CallCounts, KillPoint } from './killChild';
import { chooseKillPoints, duplicateWrites, type KillScenario, runJob, type RunResult } from './killHarness';
import { recordFigures, scaled, SEED } from './scale';

/** Kill points per job: 3 inside `npm test`, 20 under `npm run test:resilience`. */
export const KILLS = scaled(3, 20);
/** Per job: every kill point is a whole run plus its recovery, each starting fresh hosts (full mode: 20 of them). */
export const KILL_TEST_TIMEOUT_MS = scaled(900_000, 3_600_000);
/** A run can make fewer calls than the clean one (a retry it did not need): a point past its end moves earlier. */
const MOVES = 3;

export interface KillFigures {
  readonly runsKilled: number;
  readonly killPoints: readonly string[];
  /** Points the run ended before (moved earlier and tried again). */
  readonly killPointsMoved: number;
  readonly duplicateWrites: number;
  readonly lost: number;
  readonly extra: number;
  readonly recoveryChildren: number;
  readonly graphCallsClean: number;
  readonly extraGraphCallsPerKill: number;
}

const describePoint = (p: KillPoint) => `${p.target}#${p.k}:${p.phase}`;
/** What a failure prints to replay a kill point. */
const replayOf = (p: KillPoint) => `RESILIENCE_SEED=${SEED} kill point ${describePoint(p)}`;

function multisetDiff(from: readonly string[], minus: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const x of minus) left.set(x, (left.get(x) ?? 0) + 1);
  return from.filter((x) => {
    const n = left.get(x) ?? 0;
    if (n === 0) return true;
    left.set(x, n - 1);
    return false;
  });
}

/** `runJob` at a kill point; a failure names the point and the command that replays it. */
async function runKilledAt<S>(...args: Parameters<typeof runJob<S>>): Promise<RunResult<S>> {
  const at = args[3];
  try {
    return await runJob(...args);
  } catch (error) {
    const where = at ? ` (${replayOf(at)})` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${where}`, { cause: error });
  }
}

/**
 * Runs the job clean, then killed at KILLS points; asserts each killed run ends where the clean run did, with no
 * write sent twice, and records the figures as `kill-<scenario>`.
 */
export async function killAndRerun<S>(
  scenario: KillScenario<S>,
  stack: AppStack,
  env: Readonly<Record<string, string>>,
): Promise<KillFigures> {
  let startup: CallCounts | undefined;
  let total: CallCounts | undefined;
  const clean: RunResult<S> = await runJob(scenario, stack, env, undefined, (s, t) => ([startup, total] = [s, t]));
  if (!startup || !total) throw new Error(`${scenario.name}: the clean run was killed`);
  expect(scenario.items(clean.snapshot).length, `${scenario.name}: the clean run did nothing`).toBeGreaterThan(0);

  const points = chooseKillPoints(scenario.name, KILLS, scenario.targets, startup, total);
  let runsKilled = 0;
  let notReached = 0;
  const used: KillPoint[] = [];
  const gaps: Record<string, number> = {};
  let duplicates = 0;
  let lost = 0;
  let extra = 0;
  let recoveryChildren = 0;
  let extraCalls = 0;
  for (const point of points) {
    let at = point;
    let reached: { startup: CallCounts; total: CallCounts } | undefined;
    const countsOf = (s: CallCounts, t: CallCounts) => void (reached = { startup: s, total: t });
    let killed = await runKilledAt(scenario, stack, env, at, countsOf);
    for (let move = 0; !killed.killed && reached && move < MOVES; move++) {
      notReached++;
      // Aim inside the run that just ended (its call counts vary with retries and timing), a bit earlier each time.
      const { startup, total } = reached;
      const span = Math.max(1, total[at.target] - startup[at.target]);
      at = { ...at, k: startup[at.target] + 1 + Math.floor((span - 1) * 0.7 ** (move + 1)) };
      killed = await runKilledAt(scenario, stack, env, at, countsOf);
    }
    used.push(at);
    const replay = replayOf(at);
    if (killed.killed) runsKilled++;
    recoveryChildren += killed.children - 1;
    extraCalls += killed.counters.calls - clean.counters.calls;
    const resent = duplicateWrites(clean.counters.writes, killed.counters.writes);
    const dup = resent.filter((key) => !scenario.resendTolerated?.(key));
    if (resent.length > dup.length) gaps.resent = (gaps.resent ?? 0) + resent.length - dup.length;
    duplicates += dup.length;
    expect(dup, `${scenario.name}: writes sent twice (${replay})`).toEqual([]);
    const reported = scenario.reportedEnd?.(killed.snapshot);
    if (reported) {
      gaps[reported] = (gaps[reported] ?? 0) + 1;
      continue;
    }
    lost += multisetDiff(scenario.items(clean.snapshot), scenario.items(killed.snapshot)).length;
    extra += multisetDiff(scenario.items(killed.snapshot), scenario.items(clean.snapshot)).length;
    for (const [name, n] of Object.entries(scenario.gaps?.(clean.snapshot, killed.snapshot) ?? {}))
      gaps[name] = (gaps[name] ?? 0) + n;
    expect(killed.snapshot, `${scenario.name}: state after the re-run (${replay})`).toEqual(clean.snapshot);
  }
  const figures: KillFigures = {
    runsKilled,
    killPoints: used.map(describePoint),
    killPointsMoved: notReached,
    duplicateWrites: duplicates,
    lost,
    extra,
    recoveryChildren,
    graphCallsClean: clean.counters.calls,
    extraGraphCallsPerKill: points.length === 0 ? 0 : Math.round((extraCalls / points.length) * 10) / 10,
  };
  recordFigures(`kill-${scenario.name}`, { ...figures, ...(Object.keys(gaps).length > 0 ? { knownGaps: gaps } : {}) });
  return figures;
}
