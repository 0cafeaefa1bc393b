import { describe, expect, it } from 'vitest';

import { AppError } from '../../shared/errors';
import { jobInputSchema } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { runJob } from '../../shared/sync/runJob';
import { jobDeps, type World, world } from './fakes';

/** Mirror jobs get a default removal limit; these cases remove on purpose, so they lift it explicitly. */
const NO_REMOVAL_LIMIT = { maxRemovalPercent: 100 };

const run = (w: World, jobId: string, dryRun = false) => runJob(w.deps, jobId, { dryRun, actor: 'tester', trigger: 'http' });
const create = async (w: World, body: Record<string, unknown>) =>
  (await createJob(jobDeps(w), jobInputSchema.parse(body), 'tester')).jobId;

function seed() {
  const w = world();
  const users = [1, 2, 3, 4, 5].map((n) => w.dir.user(n));
  const source = w.dir.group(100, users.slice(0, 4));
  const target = w.dir.group(200, []);
  return { w, users, source, target };
}

describe('runJob', () => {
  it('adds every source member to an empty target on the first run', async () => {
    const { w, users, source, target } = seed();
    const jobId = await create(w, { name: 'copy', target, sources: [{ group: source }] });
    const result = await run(w, jobId);
    expect(result.status).toBe('succeeded');
    expect(result.plan.add).toEqual(users.slice(0, 4));
    expect(result.counts).toMatchObject({ added: 4, removed: 0, failed: 0 });
    expect(w.dir.members(target)).toEqual(users.slice(0, 4));
  });

  it('changes nothing on a dry run but returns the plan', async () => {
    const { w, source, target } = seed();
    const jobId = await create(w, { name: 'copy', target, sources: [{ group: source }] });
    const result = await run(w, jobId, true);
    expect(result.dryRun).toBe(true);
    expect(result.plan.add).toHaveLength(4);
    expect(result.counts.added).toBe(0);
    expect(w.dir.members(target)).toEqual([]);
    expect(w.dir.calls.addCalls).toBe(0);
  });

  it('keeps manual members in additive mode and removes them in mirror mode', async () => {
    const { w, users, source, target } = seed();
    w.dir.addMember(target, users[4]!);
    const additive = await create(w, { name: 'a', target, sources: [{ group: source }], mode: 'additive' });
    expect((await run(w, additive)).plan.remove).toEqual([]);
    expect(w.dir.members(target)).toContain(users[4]);

    const { w: w2, users: u2, source: s2, target: t2 } = seed();
    w2.dir.addMember(t2, u2[4]!);
    const mirror = await create(w2, {
      name: 'm',
      target: t2,
      sources: [{ group: s2 }],
      mode: 'mirror',
      limits: NO_REMOVAL_LIMIT,
    });
    expect((await run(w2, mirror)).plan.remove).toEqual([u2[4]]);
    expect(w2.dir.members(t2)).not.toContain(u2[4]);
  });

  it('removes in additive mode only the members the job added once they leave the sources', async () => {
    const { w, users, source, target } = seed();
    w.dir.addMember(target, users[4]!);
    const jobId = await create(w, { name: 'a', target, sources: [{ group: source }] });
    await run(w, jobId);
    w.dir.removeMember(source, users[0]!);
    const second = await run(w, jobId);
    expect(second.plan.remove).toEqual([users[0]]);
    expect(w.dir.members(target)).toContain(users[4]);
    expect(w.dir.members(target)).not.toContain(users[0]);
  });

  it('never removes protected members, even in mirror mode', async () => {
    const { w, users, source, target } = seed();
    w.dir.addMember(target, users[4]!);
    const jobId = await create(w, { name: 'm', target, sources: [{ group: source }], mode: 'mirror', protected: [users[4]] });
    const result = await run(w, jobId);
    expect(result.plan.remove).toEqual([]);
    expect(w.dir.members(target)).toContain(users[4]);
  });

  it('reads nested groups for transitive sources only', async () => {
    const w = world();
    const inner = w.dir.group(101, [w.dir.user(11), w.dir.user(12)]);
    const outer = w.dir.group(100, [w.dir.user(10), inner]);
    const t1 = w.dir.group(200);
    const t2 = w.dir.group(201);
    const direct = await create(w, { name: 'direct', target: t1, sources: [{ group: outer, transitive: false }] });
    const nested = await create(w, { name: 'nested', target: t2, sources: [{ group: outer, transitive: true }] });
    expect((await run(w, direct)).plan.add).toEqual([w.dir.user(10)]);
    expect((await run(w, nested)).plan.add).toEqual([w.dir.user(10), w.dir.user(11), w.dir.user(12)]);
  });

  it('leaves out members of exclude groups, nested ones included', async () => {
    const { w, users, source, target } = seed();
    const nestedExclude = w.dir.group(301, [users[1]!]);
    const exclude = w.dir.group(300, [users[0]!, nestedExclude]);
    const jobId = await create(w, { name: 'x', target, sources: [{ group: source }], exclude: [{ group: exclude }] });
    expect((await run(w, jobId)).plan.add).toEqual([users[2], users[3]]);
  });

  it('filters by member type, userType and accountEnabled', async () => {
    const w = world();
    const member = w.dir.user(1);
    const guest = w.dir.user(2, { userType: 'Guest' });
    const disabled = w.dir.user(3, { accountEnabled: false });
    const device = w.dir.object(4, 'device');
    const sp = w.dir.object(5, 'servicePrincipal');
    const source = w.dir.group(100, [member, guest, disabled, device, sp]);
    const targets = [200, 201, 202, 203].map((n) => w.dir.group(n));
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, [member, guest]],
      [{ userType: 'Guest' }, [guest]],
      [{ includeDisabled: true, userType: 'Member' }, [member, disabled]],
      [{ memberTypes: ['device', 'group'] }, [device]],
    ];
    for (const [i, [filter, expected]] of cases.entries()) {
      const jobId = await create(w, { name: `f${i}`, target: targets[i], sources: [{ group: source }], ...filter });
      expect((await run(w, jobId)).plan.add).toEqual(expected.sort());
    }
  });

  it.each([
    ['maxAdds', { maxAdds: 3 }],
    ['maxRemovals', { maxRemovals: 0 }],
    ['maxRemovalPercent', { maxRemovalPercent: 10 }],
  ])('blocks the run and applies nothing when %s is exceeded', async (limit, limits) => {
    const { w, users, source, target } = seed();
    w.dir.addMember(target, users[4]!);
    const jobId = await create(w, { name: 'l', target, sources: [{ group: source }], mode: 'mirror', limits });
    const result = await run(w, jobId);
    expect(result.status).toBe('blocked');
    expect(result.blockedBy?.map((b) => b.limit)).toContain(limit);
    expect(result.errors[0]?.code).toBe('SYNC_LIMIT_EXCEEDED');
    expect(w.dir.calls.addCalls + w.dir.calls.removeCalls).toBe(0);
    expect(w.dir.members(target)).toEqual([users[4]]);
  });

  it('reads only delta rounds on a re-run and applies only the changes', async () => {
    const { w, users, source, target } = seed();
    const jobId = await create(w, { name: 'd', target, sources: [{ group: source }], mode: 'mirror' });
    await run(w, jobId);
    const fullReads = w.dir.calls.fullReads;
    w.dir.addMember(source, users[4]!);
    w.dir.removeMember(source, users[0]!);
    const second = await run(w, jobId);
    expect(w.dir.calls.fullReads).toBe(fullReads);
    expect(second.sources[0]?.read).toBe('delta');
    expect(second.plan).toEqual({ add: [users[4]], remove: [users[0]] });
    expect(w.dir.calls.describes).toBe(1);
  });

  it('is idempotent: a second run with no changes plans nothing', async () => {
    const { w, source, target } = seed();
    const jobId = await create(w, { name: 'i', target, sources: [{ group: source }], mode: 'mirror' });
    await run(w, jobId);
    const second = await run(w, jobId);
    expect(second.plan).toEqual({ add: [], remove: [] });
    expect(second.counts.unchanged).toBe(4);
  });

  it('applies a member disabled later once the periodic full read sees it', async () => {
    const { w, users, source, target } = seed();
    const jobId = await create(w, { name: 'p', target, sources: [{ group: source }], mode: 'mirror' });
    await run(w, jobId);
    w.dir.objects.set(users[0]!, { id: users[0]!, type: 'user', userType: 'Member', accountEnabled: false });
    w.now = new Date(w.now.getTime() + 25 * 3600_000);
    const later = await run(w, jobId);
    expect(later.sources[0]?.read).toBe('full');
    expect(later.plan.remove).toEqual([users[0]]);
  });

  it('ends partial with each failed id and finishes the job on a re-run', async () => {
    const { w, users, source, target } = seed();
    w.dir.failAdds.set(users[1]!, { code: 'Request_ResourceNotFound', times: 1 });
    const jobId = await create(w, { name: 'p', target, sources: [{ group: source }] });
    const first = await run(w, jobId);
    expect(first.status).toBe('partial');
    expect(first.errors).toEqual([{ id: users[1], code: 'Request_ResourceNotFound', message: 'injected failure' }]);
    // The audit log agrees with the run record: a partial run is not recorded as a failed one.
    const runEntry = w.audit.entries.find((e) => e.action === 'sync.run' && e.runId === first.runId);
    expect(runEntry?.outcome).toBe('partial');
    const second = await run(w, jobId);
    expect(second.status).toBe('succeeded');
    expect(second.plan.add).toEqual([users[1]]);
    expect(w.dir.members(target)).toEqual(users.slice(0, 4));
  });

  it('converges after a run dies mid-way without adding anyone twice or removing protected members', async () => {
    const w = world();
    const users = Array.from({ length: 10 }, (_, i) => w.dir.user(i + 1));
    const source = w.dir.group(100, users.slice(0, 8));
    const target = w.dir.group(200, [users[8]!, users[9]!]);
    const jobId = await create(w, {
      name: 'k',
      target,
      sources: [{ group: source }],
      mode: 'mirror',
      protected: [users[9]],
      limits: NO_REMOVAL_LIMIT,
    });
    w.dir.crashAfterWrites = 1;
    const crashed = await run(w, jobId);
    expect(crashed.status).toBe('partial');
    w.dir.crashAfterWrites = undefined;
    const second = await run(w, jobId);
    expect(second.status).toBe('succeeded');
    expect(new Set(w.dir.calls.addedIds).size).toBe(w.dir.calls.addedIds.length);
    expect(w.dir.members(target)).toEqual([...users.slice(0, 8), users[9]!].sort());
  });

  it('marks a run whose lease expired as interrupted when the next run takes over', async () => {
    const { w, source, target } = seed();
    const jobId = await create(w, { name: 'k', target, sources: [{ group: source }] });
    await w.runs.saveRun({ ...(await run(w, jobId, true)), runId: 'dead', status: 'running' });
    w.leases.leases.set(jobId, { runId: 'dead', expires: w.now.getTime() - 1 });
    await run(w, jobId);
    const dead = await w.runs.getRun('dead');
    expect(dead?.status).toBe('failed');
    expect(dead?.errors.at(-1)?.code).toBe('SYNC_RUN_INTERRUPTED');
  });

  it('stops writing when it loses its lease to another run', async () => {
    const { w, source, target } = seed();
    const jobId = await create(w, { name: 'lost', target, sources: [{ group: source }] });
    const acquire = w.leases.acquireLease.bind(w.leases);
    w.leases.acquireLease = async (...args) => {
      const lease = await acquire(...args);
      return 'heldBy' in lease ? lease : { ...lease, renew: async () => false };
    };
    const result = await run(w, jobId);
    // The lease is checked before the first state write (a snapshot while reading), so nothing is written or applied.
    expect(result.status).toBe('failed');
    expect(result.counts.added).toBe(0);
    expect(result.errors.at(-1)?.code).toBe('SYNC_LEASE_LOST');
    expect(w.dir.members(target)).toEqual([]);
  });

  it('refuses a second concurrent run of the same job', async () => {
    const { w, source, target } = seed();
    const jobId = await create(w, { name: 'c', target, sources: [{ group: source }] });
    w.leases.leases.set(jobId, { runId: 'other', expires: w.now.getTime() + 60_000 });
    await expect(run(w, jobId)).rejects.toMatchObject({ code: 'SYNC_RUN_IN_PROGRESS', status: 409 });
  });

  it('fails without writing when a source group was deleted', async () => {
    const { w, users, source, target } = seed();
    w.dir.addMember(target, users[4]!);
    const jobId = await create(w, { name: 'gone', target, sources: [{ group: source }], mode: 'mirror' });
    w.dir.groups.delete(source);
    const result = await run(w, jobId);
    expect(result.status).toBe('failed');
    expect(result.errors[0]?.code).toBe('SYNC_SOURCE_NOT_FOUND');
    expect(w.dir.members(target)).toEqual([users[4]]);
  });

  it('fails when the target became dynamic after the job was saved', async () => {
    const { w, source, target } = seed();
    const jobId = await create(w, { name: 'dyn', target, sources: [{ group: source }] });
    const g = w.dir.groups.get(target)!;
    g.info = { ...g.info, groupTypes: ['DynamicMembership'] };
    const result = await run(w, jobId);
    expect(result.status).toBe('failed');
    expect(result.errors[0]?.code).toBe('SYNC_TARGET_DYNAMIC');
  });

  it('writes an audit entry for every add and remove with job, run and reason', async () => {
    const { w, users, source, target } = seed();
    w.dir.addMember(target, users[4]!);
    const jobId = await create(w, {
      name: 'audit',
      target,
      sources: [{ group: source }],
      mode: 'mirror',
      limits: NO_REMOVAL_LIMIT,
    });
    const result = await run(w, jobId);
    const members = w.audit.entries.filter((e) => e.action.startsWith('sync.member.'));
    expect(members).toHaveLength(5);
    expect(members.every((e) => e.job === jobId && e.runId === result.runId && e.reason && e.outcome === 'succeeded')).toBe(true);
    expect(members.find((e) => e.action === 'sync.member.remove')?.target).toBe(users[4]);
  });

  it('throws SYNC_JOB_NOT_FOUND for an unknown job', async () => {
    const w = world();
    await expect(run(w, 'nope')).rejects.toBeInstanceOf(AppError);
  });
});
