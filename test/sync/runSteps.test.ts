import { describe, expect, it } from 'vitest';

import { AppError } from '../../shared/errors';
import { jobInputSchema, type SyncJob } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import type { LoadedMembership } from '../../shared/sync/membership';
import {
  applyPlan,
  describeGroups,
  keepState,
  openRun,
  outcomeOf,
  ownedBeforeApply,
  planRun,
  readFacts,
  recordRun,
  type RunFence,
  startRun,
  tally,
  targetAfter,
  withPlan,
  writeAhead,
} from '../../shared/sync/runSteps';
import { jobDeps, type World, world } from './fakes';

/**
 * Each step of a run on its own, over the in-memory ports (their contract suites run against the real adapters);
 * runJob.test.ts covers the steps together.
 */

const OPTIONS = { dryRun: false, actor: 'tester', trigger: 'http' } as const;
const COUNTERS = { httpCalls: 0, subRequests: 0, throttled: 0, retries: 0 };

function fence(over: Partial<RunFence> = {}): RunFence {
  return { fence: async () => {}, holdsLease: async () => true, reason: undefined, ...over };
}

async function seeded(body: Record<string, unknown> = {}) {
  const w = world();
  const users = [1, 2, 3, 4, 5, 6, 7].map((n) => w.dir.user(n));
  const source = w.dir.group(100, users.slice(0, 5), { displayName: 'Source now' });
  const target = w.dir.group(200, [users[0]!, users[5]!]);
  const input = jobInputSchema.parse({ name: 'steps', target, sources: [{ group: source }], mode: 'mirror', ...body });
  const job = await createJob(jobDeps(w), input, 'tester');
  return { w, users, source, target, job };
}

async function loaded(w: World, job: SyncJob): Promise<LoadedMembership> {
  const read = await readFacts(w.deps, job, fence());
  if ('error' in read) throw new Error(read.error.message);
  return read.loaded;
}

describe('run steps', () => {
  it('opens a run that is running, with the names the job saved, an empty plan and zero counts', async () => {
    const { job } = await seeded();
    const run = openRun(job, 'r1', OPTIONS, '2026-11-25T10:00:00.000Z', COUNTERS);
    expect(run).toMatchObject({ runId: 'r1', jobId: job.jobId, status: 'running', dryRun: false, trigger: 'http' });
    expect(run.sources).toEqual([{ id: job.sources[0]!.group, displayName: job.sources[0]!.displayName }]);
    expect(run.plan).toEqual({ add: [], remove: [] });
    expect(Object.values(run.counts).every((n) => n === 0)).toBe(true);
  });

  it('points the job at the run it starts, keeping the schedule bookkeeping', async () => {
    const { w, job } = await seeded();
    await w.schedules.setScheduleState(job.jobId, { lastScheduledFor: '2026-11-25T09:00:00.000Z' });
    await startRun(w.deps, openRun(job, 'r1', OPTIONS, w.now.toISOString(), COUNTERS));
    expect(await w.schedules.getScheduleState(job.jobId)).toEqual({
      lastScheduledFor: '2026-11-25T09:00:00.000Z',
      lastRunId: 'r1',
    });
    expect((await w.runs.getRun('r1'))?.status).toBe('running');
  });

  it('reports a failed read as the run error, preferring why the lease guard stopped the run', async () => {
    const { w, job } = await seeded();
    const failing = {
      ...w.deps,
      reader: { read: () => Promise.reject(new Error('socket hang up')), describe: () => Promise.resolve([]) },
    };
    expect(await readFacts(failing, job, fence())).toEqual({
      error: { id: job.jobId, code: 'SYNC_READ_FAILED', message: 'socket hang up' },
    });
    const lost = new AppError('SYNC_LEASE_LOST', 'lease lost', 409);
    expect(await readFacts(failing, job, fence({ reason: lost }))).toMatchObject({ error: { code: 'SYNC_LEASE_LOST' } });
  });

  it("describes the run's groups with their current names, how they were read and their member counts", async () => {
    const { w, job, source } = await seeded();
    const facts = await loaded(w, job);
    const run = describeGroups(openRun(job, 'r1', OPTIONS, w.now.toISOString(), COUNTERS), job, facts);
    expect(run.sources).toEqual([{ id: source, displayName: 'Source now', read: 'full', memberCount: 5 }]);
    expect(run.target).toMatchObject({ read: 'full', memberCount: 2 });
  });

  it('plans adds and removals, with facts only for the members it adds', async () => {
    const { w, job, users } = await seeded();
    const planned = planRun(job, await loaded(w, job), new Set());
    expect(planned.plan.add).toEqual(users.slice(1, 5));
    expect(planned.plan.remove).toEqual([users[5]]);
    expect([...planned.addFacts.keys()].sort()).toEqual(users.slice(1, 5));
    expect(planned.current.size).toBe(2);
  });

  it("puts the plan, counts and warnings (the target's own and a fan-out) on the run record", async () => {
    const { w, job } = await seeded();
    const target = w.dir.groups.get(job.target)!;
    target.info = { ...target.info, isAssignableToRole: true };
    const facts = await loaded(w, job);
    const planned = planRun(job, facts, new Set());
    const run = withPlan(openRun(job, 'r1', OPTIONS, w.now.toISOString(), COUNTERS), job, facts, planned, 3);
    expect(run.counts).toEqual({ desired: 5, current: 2, added: 0, removed: 0, unchanged: 1, failed: 0 });
    expect(run.warnings).toHaveLength(2);
    expect(run.warnings[0]).toMatch(/role-assignable/);
    expect(run.warnings[1]).toMatch(/over SYNC_LARGE_TARGET_WARNING \(3\)/);
  });

  it('owns, before applying, the ledger members still in the target plus every planned add', () => {
    const owned = ownedBeforeApply(new Set(['a', 'gone']), {
      plan: { add: ['c'], remove: [], unchanged: 0, keptProtected: 0 },
      current: new Map([['a', { id: 'a', type: 'user' as const }]]),
    });
    expect([...owned].sort()).toEqual(['a', 'c']);
  });

  it('writes the ledger ahead only while the lease holds, and reports a refused fence as the run error', async () => {
    const { w, job } = await seeded();
    const lost = new AppError('SYNC_LEASE_LOST', 'lease lost', 409);
    const refused = await writeAhead(w.deps, job.jobId, new Set(['a']), fence({ fence: () => Promise.reject(lost) }));
    expect(refused).toEqual({ id: job.jobId, code: 'SYNC_LEASE_LOST', message: 'lease lost' });
    expect(w.ledger.ledgers.has(job.jobId)).toBe(false);
    expect(await writeAhead(w.deps, job.jobId, new Set(['a']), fence())).toBeUndefined();
    expect([...w.ledger.ledgers.get(job.jobId)!]).toEqual(['a']);
  });

  it('applies the plan in fenced slices, adds first, with a checkpoint and audit lines after each slice', async () => {
    const { w, job, users } = await seeded();
    let fences = 0;
    const run = openRun(job, 'r1', OPTIONS, w.now.toISOString(), COUNTERS);
    const plan = { add: users.slice(1, 5), remove: [users[5]!] };
    const applied = await applyPlan(w.deps, job, run, plan, fence({ fence: async () => void fences++ }));
    // writeSliceSize is 3 in the fakes: two add slices and one remove slice.
    expect(fences).toBe(3);
    expect(w.dir.calls).toMatchObject({ addCalls: 2, removeCalls: 1 });
    expect(applied.added).toEqual(users.slice(1, 5));
    expect(applied.removed).toEqual([users[5]]);
    expect(applied.stopped).toBeUndefined();
    expect(applied.run.counts).toMatchObject({ added: 4, removed: 1, failed: 0 });
    expect((await w.runs.getRun('r1'))?.counts).toMatchObject({ added: 4, removed: 1 });
    expect(w.audit.entries.map((e) => e.action)).toEqual([...Array<string>(4).fill('sync.member.add'), 'sync.member.remove']);
  });

  it('stops applying when a write throws and keeps what the finished slices did', async () => {
    const { w, job, users } = await seeded();
    w.dir.crashAfterWrites = 1;
    const run = openRun(job, 'r1', OPTIONS, w.now.toISOString(), COUNTERS);
    const applied = await applyPlan(w.deps, job, run, { add: users.slice(1, 5), remove: [] }, fence());
    expect(applied.added).toEqual(users.slice(1, 4));
    expect(applied.stopped).toEqual({ id: job.jobId, code: 'SYNC_WRITE_FAILED', message: 'simulated crash' });
    expect((await w.runs.getRun('r1'))?.counts.added).toBe(3);
  });

  it('tallies a slice: successes by kind, failures as errors, counts from both', async () => {
    const { w, job } = await seeded();
    const run = openRun(job, 'r1', OPTIONS, w.now.toISOString(), COUNTERS);
    const next = tally(
      { run, added: ['x'], removed: [], errors: [] },
      'add',
      [
        { id: 'a', ok: true, noop: true },
        { id: 'b', ok: false, code: 'Request_BadRequest', message: 'no' },
      ],
      { ...COUNTERS, httpCalls: 2 },
    );
    expect(next.added).toEqual(['x', 'a']);
    expect(next.errors).toEqual([{ id: 'b', code: 'Request_BadRequest', message: 'no' }]);
    expect(next.run.counts).toMatchObject({ added: 2, removed: 0, failed: 1 });
    expect(next.run.graphRequests.httpCalls).toBe(2);
  });

  it('ends an applied run succeeded, partial or failed by what went through', () => {
    const error = { id: 'b', code: 'X', message: 'x' };
    expect(outcomeOf({ added: ['a'], removed: [], errors: [] })).toBe('succeeded');
    expect(outcomeOf({ added: [], removed: [], errors: [] })).toBe('succeeded');
    expect(outcomeOf({ added: ['a'], removed: [], errors: [error] })).toBe('partial');
    expect(outcomeOf({ added: [], removed: [], errors: [error] })).toBe('failed');
    expect(outcomeOf({ added: [], removed: ['a'], errors: [], stopped: error })).toBe('partial');
    expect(outcomeOf({ added: [], removed: [], errors: [], stopped: error })).toBe('failed');
  });

  it('keeps the ledger and the target snapshot after applying, and writes neither once the lease is gone', async () => {
    const { w, job, users } = await seeded();
    const facts = await loaded(w, job);
    const planned = planRun(job, facts, new Set());
    const owned = ownedBeforeApply(new Set([users[5]!]), planned);
    const applied = { added: [users[1]!], removed: [users[5]!] };
    w.snapshots.snapshots.clear();

    await keepState(w.deps, job, facts, planned, owned, applied, fence({ holdsLease: async () => false }));
    expect(w.ledger.ledgers.size).toBe(0);
    expect(w.snapshots.snapshots.size).toBe(0);

    await keepState(w.deps, job, facts, planned, owned, applied, fence());
    expect([...w.ledger.ledgers.get(job.jobId)!].sort()).toEqual(users.slice(1, 5));
    const saved = await w.snapshots.loadSnapshot(job.jobId, job.target);
    expect(saved?.members.map((m) => m.id).sort()).toEqual([users[0], users[1]].sort());
    expect(saved?.deltaLink).toBe(facts.snapshots.get(job.target)?.deltaLink);
  });

  it('computes the target after the apply from its members, the adds that went through and the removals', () => {
    const user = (id: string) => ({ id, type: 'user' as const });
    const members = targetAfter(
      {
        current: new Map([
          ['a', user('a')],
          ['b', user('b')],
        ]),
        addFacts: new Map([
          ['c', user('c')],
          ['d', user('d')],
        ]),
      },
      { added: ['c'], removed: ['a'] },
    );
    expect(members.map((m) => m.id)).toEqual(['b', 'c']);
  });

  it('records the outcome with its errors, and audits a successful dry run as planned', async () => {
    const { w, job } = await seeded();
    const dry = openRun(job, 'r1', { ...OPTIONS, dryRun: true }, w.now.toISOString(), COUNTERS);
    const done = await recordRun(w.deps, dry, 'succeeded');
    expect(done).toMatchObject({ status: 'succeeded', errors: [], finishedAt: w.now.toISOString() });
    expect(w.audit.entries.at(-1)).toMatchObject({ action: 'sync.run', outcome: 'planned', runId: 'r1', target: job.target });

    const error = { id: job.jobId, code: 'SYNC_READ_FAILED', message: 'socket hang up' };
    const failed = await recordRun(w.deps, openRun(job, 'r2', OPTIONS, w.now.toISOString(), COUNTERS), 'failed', [error]);
    expect((await w.runs.getRun('r2'))?.errors).toEqual([error]);
    expect(failed.status).toBe('failed');
    expect(w.audit.entries.at(-1)).toMatchObject({ outcome: 'failed', reason: 'socket hang up' });
  });
});
