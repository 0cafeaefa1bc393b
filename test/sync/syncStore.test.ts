import { describe, expect, it } from 'vitest';

import { createStorageClients } from '../../shared/storage/clients';
import { SYNC_STATE_CONTAINER, type SyncStores, syncStores } from '../../shared/storage/syncStore';
import type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
import { useAzurite } from '../helpers/azurite';
import { gid, memoryStores } from './fakes';

/**
 * One contract per storage port, two implementations each: the storage adapters on real Azurite and the in-memory
 * fakes the use-case tests use, so the fakes cannot drift from what production does.
 */
const azurite = useAzurite();

const implementations: [string, (clock?: () => number) => SyncStores][] = [
  [
    'storage adapters on Azurite',
    (clock = () => Date.now()) => syncStores(createStorageClients({ connectionString: azurite.current.connectionString }), clock),
  ],
  ['in-memory fakes', (clock = () => Date.now()) => memoryStores(clock)],
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

describe.each(implementations)('%s', (_name, stores) => {
  it('jobs: stores, lists, replaces by etag and deletes jobs, large ones included', async () => {
    const s = stores().jobs;
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

  it('jobs: lets only one job claim a target, even when saves race, and frees the claim on move and delete', async () => {
    const s = stores().jobs;
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

  it('leases: lets one run hold a job lease, and a later run take it over only after it expires', async () => {
    let now = Date.now();
    const s = stores(() => now).leases;
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

  it('runs: round-trips a run record, and finds no run for an unknown id', async () => {
    const { runs } = stores();
    const run = {
      runId: gid(31),
      jobId: gid(30),
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
    await runs.saveRun(run);
    expect(await runs.getRun(run.runId)).toEqual(run);
    await runs.saveRun({ ...run, status: 'partial' });
    expect((await runs.getRun(run.runId))?.status).toBe('partial');
    expect(await runs.getRun(gid(32))).toBeUndefined();
  });

  it('snapshots: round-trips member snapshots with their properties, per job and group', async () => {
    const { snapshots } = stores();
    const jobId = gid(130);
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
    await snapshots.saveSnapshot(jobId, snapshot);
    expect(await snapshots.loadSnapshot(jobId, snapshot.groupId)).toEqual(snapshot);
    expect(await snapshots.loadSnapshot(gid(34), snapshot.groupId)).toBeUndefined();
  });

  it('snapshots: hands every member id to the intern function, so groups loaded together share their ids', async () => {
    const { snapshots } = stores();
    const members = [gid(40), gid(41)].map((id) => ({ id, type: 'user' as const }));
    await snapshots.saveSnapshot(gid(132), { groupId: gid(33), fullReadAt: 'x', properties: [], members });
    const seen: string[] = [];
    const loaded = await snapshots.loadSnapshot(gid(132), gid(33), (id) => (seen.push(id), id));
    expect(seen).toEqual([gid(40), gid(41)]);
    expect(loaded?.members).toEqual(members);
  });

  it('ledger: round-trips the members a job added, empty when none were saved', async () => {
    const { ledger } = stores();
    const jobId = gid(131);
    expect((await ledger.loadLedger(jobId)).size).toBe(0);
    await ledger.saveLedger(jobId, new Set([gid(41), gid(40)]));
    expect([...(await ledger.loadLedger(jobId))].sort()).toEqual([gid(40), gid(41)]);
    await ledger.saveLedger(jobId, new Set([gid(40)]));
    expect([...(await ledger.loadLedger(jobId))]).toEqual([gid(40)]);
  });

  it('schedules: round-trips the last occurrence handled and the last run', async () => {
    const { schedules } = stores();
    const jobId = gid(132);
    expect(await schedules.getScheduleState(jobId)).toBeUndefined();
    await schedules.setScheduleState(jobId, { lastScheduledFor: '2026-11-25T10:00:00.000Z', lastRunId: gid(31) });
    expect(await schedules.getScheduleState(jobId)).toEqual({ lastScheduledFor: '2026-11-25T10:00:00.000Z', lastRunId: gid(31) });
    await schedules.setScheduleState(jobId, { lastRunId: gid(32) });
    expect(await schedules.getScheduleState(jobId)).toEqual({ lastRunId: gid(32) });
  });

  it("cleanup: deletes a job's snapshots, ledger, schedule state and lease, and keeps its runs and other jobs' state", async () => {
    const s = stores();
    const [jobId, other] = [gid(133), gid(134)];
    const snapshot = { groupId: gid(33), fullReadAt: '2026-11-25T00:00:00.000Z', properties: [], members: [] };
    for (const id of [jobId, other]) {
      await s.snapshots.saveSnapshot(id, snapshot);
      await s.ledger.saveLedger(id, new Set([gid(40)]));
      await s.schedules.setScheduleState(id, { lastRunId: gid(31) });
    }
    expect('heldBy' in (await s.leases.acquireLease(jobId, 'run-1', 60_000))).toBe(false);

    await s.cleanup.deleteJobState(jobId);
    expect(await s.snapshots.loadSnapshot(jobId, snapshot.groupId)).toBeUndefined();
    expect((await s.ledger.loadLedger(jobId)).size).toBe(0);
    expect(await s.schedules.getScheduleState(jobId)).toBeUndefined();
    expect('heldBy' in (await s.leases.acquireLease(jobId, 'run-2', 60_000))).toBe(false);
    expect(await s.snapshots.loadSnapshot(other, snapshot.groupId)).toEqual(snapshot);
    expect((await s.ledger.loadLedger(other)).size).toBe(1);
    expect(await s.schedules.getScheduleState(other)).toEqual({ lastRunId: gid(31) });
  });
});

describe('snapshot blobs written before member columns', () => {
  it('still load: one packed array per member, properties only where the snapshot holds them', async () => {
    const storage = createStorageClients({ connectionString: azurite.current.connectionString });
    const jobId = gid(140);
    const legacy = {
      groupId: gid(50),
      fullReadAt: '2026-11-25T00:00:00.000Z',
      properties: ['accountEnabled', 'userType'],
      members: [
        [gid(51), 0, 'Guest', 0],
        [gid(52), 1],
        [gid(53), 2, null, 1],
        [gid(54), 0, null, null],
      ],
    };
    const container = await storage.container(SYNC_STATE_CONTAINER);
    const text = JSON.stringify(legacy);
    await container.getBlockBlobClient(`${jobId}/groups/${gid(50)}.json`).upload(text, Buffer.byteLength(text));
    expect((await syncStores(storage).snapshots.loadSnapshot(jobId, gid(50)))?.members).toEqual([
      { id: gid(51), type: 'user', userType: 'Guest', accountEnabled: false },
      { id: gid(52), type: 'group' },
      { id: gid(53), type: 'device', accountEnabled: true },
      { id: gid(54), type: 'user', userType: null, accountEnabled: null },
    ]);
  });
});
