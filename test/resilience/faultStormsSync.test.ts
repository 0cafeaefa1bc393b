import { expect, it } from 'vitest';

import { syncJobDeleteHandler } from '../../functions/syncJobDelete';
import { syncJobRunHandler } from '../../functions/syncJobRun';
import { syncJobsCreateHandler } from '../../functions/syncJobsCreate';
import type { TenantFile } from '../../local/sandbox';
import type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
import { stackSettings, useAppStack } from '../helpers/appStack';
import { groupId, tenant, userId } from '../sandbox/helpers';
import { call, membersOf } from '../sync/harness';
import { FULL, recordFigures, scaled } from './scale';
import {
  injectedFaults,
  measured,
  QUIET_KNOBS,
  type RunMeasure,
  setKnobs,
  STORM_APP_SETTINGS,
  STORM_RATES,
  stormFigures,
  stormKnobs,
} from './storm';

/**
 * Group sync under fault storms: a mirror job that adds 80% of a large source group to a target and removes the
 * target's extra members converges, through every kind of Graph fault on a share of its requests, to the target the
 * fault-free run leaves, and a following fault-free run finds nothing left to do. A run that a storm makes fail is
 * run again, as the next timer tick would.
 */
const SOURCE = scaled(300, 3_000);
const MAX_RUNS = 12;
const h = useAppStack((stack) => ({
  harness: stack,
  env: { ...stackSettings(stack, 'storm-sync'), ...STORM_APP_SETTINGS, LOG_LEVEL: 'silent' },
}));

/** Users 1..1.2N; the source holds 1..N, the target holds 0.8N+1..1.2N (adds 0.8N, removes 0.2N). */
function syncTenant(): TenantFile {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => userId(from + i));
  return tenant({
    users: Math.round(SOURCE * 1.2),
    groups: [{ members: range(1, SOURCE) }, { members: range(Math.round(SOURCE * 0.8) + 1, Math.round(SOURCE * 1.2)) }],
  });
}

async function loadTenant(): Promise<void> {
  const res = await fetch(`${h.current.sandbox.url}/_sandbox/tenant`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(syncTenant()),
  });
  expect(res.status).toBe(204);
}

async function createJob(): Promise<string> {
  const res = await call(syncJobsCreateHandler, {
    method: 'POST',
    body: {
      name: 'storm',
      target: groupId(2),
      sources: [{ group: groupId(1) }],
      mode: 'mirror',
      limits: { maxRemovalPercent: 100 },
    },
  });
  expect(res.status).toBe(201);
  return (res.body as unknown as SyncJob).jobId;
}

async function runJob(jobId: string): Promise<SyncRun> {
  const res = await call(syncJobRunHandler, { method: 'POST', params: { jobId } });
  expect(res.status).toBe(200);
  return res.body as unknown as SyncRun;
}

/** Runs until a run succeeds (each failed run is what a timer tick would retry), returning every run. */
async function runUntilDone(jobId: string): Promise<SyncRun[]> {
  const runs: SyncRun[] = [];
  while (runs.length < MAX_RUNS) {
    const run = await runJob(jobId);
    runs.push(run);
    if (run.status === 'succeeded') return runs;
  }
  return runs;
}

interface Outcome {
  readonly members: string[];
  readonly runs: SyncRun[];
  readonly measure: RunMeasure;
  readonly rerun: SyncRun;
  readonly faults: Record<string, number>;
}

async function converge(knobs: Parameters<typeof setKnobs>[1]): Promise<Outcome> {
  await loadTenant();
  const jobId = await createJob();
  await setKnobs(h.current.sandbox.url, knobs);
  const { result: runs, measure } = await measured(h.current.sandbox.url, () => runUntilDone(jobId));
  const faults = await injectedFaults(h.current.sandbox.url);
  await setKnobs(h.current.sandbox.url, QUIET_KNOBS);
  const members = await membersOf(h.current, groupId(2));
  const rerun = await runJob(jobId);
  // One job per target: this one makes way for the next storm's.
  expect((await call(syncJobDeleteHandler, { method: 'DELETE', params: { jobId } })).status).toBe(204);
  return { members, runs, measure, rerun, faults };
}

let reference: Promise<Outcome> | undefined;
const faultFree = (): Promise<Outcome> => (reference ??= converge(QUIET_KNOBS));

it.each(STORM_RATES.map((rate) => [rate]))(
  'converges under a %s fault storm to the fault-free target, adding and removing no member twice',
  async (rate) => {
    const quiet = await faultFree();
    expect(quiet.runs.map((r) => r.status)).toEqual(['succeeded']);
    expect(quiet.members).toHaveLength(SOURCE);

    const storm = await converge(stormKnobs(rate));
    const { faults } = storm;
    expect(storm.runs.at(-1)?.status).toBe('succeeded');
    expect(storm.members).toEqual(quiet.members);
    // Stored state: the last run reports success and a later fault-free run has nothing left to do, as after the
    // fault-free run. No member is added or removed twice: the runs' counts never exceed the fault-free plan. They may
    // fall short of it: a write whose answer the storm lost, and the writes of a run the storm ended early, are found
    // done by the next run (recorded below as `unreportedWrites`).
    expect(storm.rerun.plan).toEqual({ add: [], remove: [] });
    expect(quiet.rerun.plan).toEqual({ add: [], remove: [] });
    const added = storm.runs.reduce((n, r) => n + r.counts.added, 0);
    const removed = storm.runs.reduce((n, r) => n + r.counts.removed, 0);
    const failed = storm.runs.reduce((n, r) => n + r.counts.failed, 0);
    const planned = (quiet.runs[0]?.counts.added ?? 0) + (quiet.runs[0]?.counts.removed ?? 0);
    expect(added).toBeLessThanOrEqual(quiet.runs[0]?.counts.added ?? 0);
    expect(removed).toBeLessThanOrEqual(quiet.runs[0]?.counts.removed ?? 0);
    const injected = Object.values(faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(0);

    recordFigures(`faultStorms-sync-${Math.round(rate * 100)}`, {
      job: 'group sync (mirror)',
      sourceMembers: SOURCE,
      rate,
      full: FULL,
      ...stormFigures(quiet.measure, storm.measure, faults, {
        runs: storm.runs.length,
        failedRuns: storm.runs.filter((r) => r.status !== 'succeeded').length,
        appRetries: storm.runs.reduce((n, r) => n + r.graphRequests.retries, 0),
        appThrottled: storm.runs.reduce((n, r) => n + r.graphRequests.throttled, 0),
        added,
        removed,
        failedWrites: failed,
        unreportedWrites: Math.max(0, planned - added - removed - failed),
        runOutcomes: storm.runs.map((r) =>
          `${r.status} +${r.counts.added} -${r.counts.removed} !${r.counts.failed} ${r.errors[0]?.code ?? ''}`.trim(),
        ),
      }),
    });
  },
  scaled(300_000, 1_800_000),
);
