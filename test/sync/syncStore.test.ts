import { describe, expect, it } from 'vitest';

import { createStorageClients } from '../../shared/storage/clients';
import { SyncStore } from '../../shared/storage/syncStore';
import type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
import type { JobRepository, SyncStateStore } from '../../shared/sync/ports';
import { useAzurite } from '../helpers/azurite';
import { gid, MemoryJobs, MemoryState } from './fakes';

/**
 * One contract, two implementations: the storage adapter on real Azurite and the in-memory fakes the use-case tests
 * use, so the fakes cannot drift from what production does.
 */
const azurite = useAzurite();

type Store = JobRepository & SyncStateStore;
const implementations: [string, (clock?: () => number) => Store][] = [
  [
    'SyncStore on Azurite',
    (clock = () => Date.now()) =>
      new SyncStore(createStorageClients({ connectionString: azurite.current.connectionString }), clock),
  ],
  [
    'in-memory fakes',
    (clock = () => Date.now()) => {
      const jobs = new MemoryJobs();
      const state = new MemoryState(clock);
      return Object.assign(state, {
        list: () => jobs.list(),
        get: (id: string) => jobs.get(id),
        create: (j: SyncJob) => jobs.create(j),
        replace: (j: SyncJob, e: string) => jobs.replace(j, e),
        delete: (id: string) => jobs.delete(id),
      });
    },
  ],
];

const job = (jobId: string, extra: Partial<SyncJob> = {}): SyncJob => ({
  jobId,
  name: 'job',
  target: gid(2),
  targetName: 'T',
  sources: [{ group: gid(1), displayName: 'S', transitive: false }],
  exclude: [],
  mode: 'mirror',
  memberTypes: ['user'],
  userType: 'any',
  includeDisabled: false,
  protected: [],
  limits: {},
  enabled: true,
  warnings: [],
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
  createdBy: 'me',
  updatedBy: 'me',
  ...extra,
});

describe.each(implementations)('%s', (_name, store) => {
  it('stores, lists, replaces by etag and deletes jobs, large ones included', async () => {
    const s = store();
    const big = job(gid(10), { protected: Array.from({ length: 1000 }, (_, i) => gid(5000 + i)) });
    await s.create(big);
    const got = await s.get(big.jobId);
    expect(got?.job).toEqual(big);
    expect((await s.list()).map((j) => j.jobId)).toContain(big.jobId);
    expect(await s.replace({ ...big, name: 'renamed' }, got!.etag)).toBe(true);
    expect(await s.replace({ ...big, name: 'stale' }, got!.etag)).toBe(false);
    expect((await s.get(big.jobId))?.job.name).toBe('renamed');
    expect(await s.delete(big.jobId)).toBe(true);
    expect(await s.delete(big.jobId)).toBe(false);
    expect(await s.get(big.jobId)).toBeUndefined();
  });

  it('lets only one job claim a target, even when saves race, and frees the claim on move and delete', async () => {
    const s = store();
    const target = gid(60);
    const first = job(gid(61), { target });
    const results = await Promise.allSettled([s.create(first), s.create(job(gid(62), { target }))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'SYNC_TARGET_IN_USE' } });
    const winner = (await s.list()).find((j) => j.target === target)!;
    const moved = { ...winner, target: gid(63) };
    expect(await s.replace(moved, (await s.get(winner.jobId))!.etag)).toBe(true);
    await s.create(job(gid(64), { target }));
    await expect(s.create(job(gid(65), { target: gid(63) }))).rejects.toMatchObject({ code: 'SYNC_TARGET_IN_USE' });
    await s.delete(winner.jobId);
    await s.create(job(gid(65), { target: gid(63) }));
  });

  it('lets one run hold a job lease, and a later run take it over only after it expires', async () => {
    let now = Date.now();
    const s = store(() => now);
    const jobId = gid(20);
    const first = await s.acquireLease(jobId, 'run-1', 1000);
    expect('heldBy' in first).toBe(false);
    expect(await s.acquireLease(jobId, 'run-2', 1000)).toEqual({ heldBy: 'run-1' });
    now += 1001;
    const second = await s.acquireLease(jobId, 'run-2', 1000);
    expect(second).toMatchObject({ runId: 'run-2', takenOver: 'run-1' });
    if ('heldBy' in first || 'heldBy' in second) throw new Error('unreachable');
    expect(await first.renew()).toBe(false);
    expect(await second.renew()).toBe(true);
    await first.release();
    expect(await s.acquireLease(jobId, 'run-3', 1000)).toEqual({ heldBy: 'run-2' });
    await second.release();
    expect('heldBy' in (await s.acquireLease(jobId, 'run-3', 1000))).toBe(false);
  });

  it('round-trips runs, snapshots with member properties, the ledger and schedule state, and deletes job state', async () => {
    const s = store();
    const jobId = gid(30);
    const run = {
      runId: gid(31),
      jobId,
      jobName: 'job',
      dryRun: false,
      status: 'succeeded',
      trigger: 'http',
      actor: 'test',
      startedAt: '2026-01-01T00:00:00.000Z',
      plan: { add: [gid(1)], remove: [] },
      counts: { desired: 1, current: 0, added: 1, removed: 0, unchanged: 0, failed: 0 },
      graphRequests: { httpCalls: 1, subRequests: 0, throttled: 0, retries: 0 },
      errors: [],
      warnings: [],
    } as unknown as SyncRun;
    await s.saveRun(run);
    expect(await s.getRun(run.runId)).toEqual(run);
    expect(await s.getRun(gid(32))).toBeUndefined();

    const snapshot = {
      groupId: gid(33),
      deltaLink: 'http://127.0.0.1/v1.0/groups/delta?$deltatoken=x',
      fullReadAt: '2026-11-25T00:00:00.000Z',
      properties: ['accountEnabled', 'userType'] as const,
      members: [
        { id: gid(40), type: 'user' as const, userType: 'Guest', accountEnabled: false },
        { id: gid(41), type: 'group' as const },
        { id: gid(42), type: 'device' as const, accountEnabled: true },
      ],
    };
    await s.saveSnapshot(jobId, snapshot);
    expect(await s.loadSnapshot(jobId, snapshot.groupId)).toEqual(snapshot);
    await s.saveLedger(jobId, new Set([gid(40)]));
    expect([...(await s.loadLedger(jobId))]).toEqual([gid(40)]);
    await s.setScheduleState(jobId, { lastScheduledFor: '2026-11-25T10:00:00.000Z', lastRunId: run.runId });
    expect(await s.getScheduleState(jobId)).toEqual({ lastScheduledFor: '2026-11-25T10:00:00.000Z', lastRunId: run.runId });

    await s.deleteJobState(jobId);
    expect(await s.loadSnapshot(jobId, snapshot.groupId)).toBeUndefined();
    expect((await s.loadLedger(jobId)).size).toBe(0);
    expect(await s.getScheduleState(jobId)).toBeUndefined();
  });
});
