import { InvocationContext, type Timer } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';

import { syncImportMemberOfHandler } from '../../functions/syncImportMemberOf';
import { syncJobDeleteHandler } from '../../functions/syncJobDelete';
import { syncJobGetHandler } from '../../functions/syncJobGet';
import { syncJobPutHandler } from '../../functions/syncJobPut';
import { syncJobRunHandler } from '../../functions/syncJobRun';
import { syncJobsCreateHandler } from '../../functions/syncJobsCreate';
import { syncJobsListHandler } from '../../functions/syncJobsList';
import { syncRunGetHandler } from '../../functions/syncRunGet';
import { syncTimerHandler } from '../../functions/syncTimer';
import { DEMO_DEPARTMENT_GROUPS, DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import { getServices } from '../../shared/runtime/services';
import { syncStores } from '../../shared/storage/syncStore';
import type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
import { eventually } from '../helpers/host';
import { call, graphAdmin, membersOf, type TenantJson, useSyncHarness } from './harness';

/**
 * The sync HTTP contract on real Azurite and the Graph sandbox (demo tenant) over HTTP: the handlers the Functions
 * host runs, called with real HttpRequest objects.
 */
const harness = useSyncHarness();
const G = DEMO_GROUPS;

async function createJob(body: Record<string, unknown>) {
  return call(syncJobsCreateHandler, { method: 'POST', body });
}
async function runJob(jobId: string, dryRun = false): Promise<SyncRun> {
  const res = await call(syncJobRunHandler, { method: 'POST', params: { jobId }, query: dryRun ? { dryRun: 'true' } : {} });
  expect(res.status).toBe(200);
  return res.body as unknown as SyncRun;
}
function expectedMembers(tenant: TenantJson, groupId: string, filter: (u: TenantJson['users'][number]) => boolean): string[] {
  const users = new Map(tenant.users.map((u) => [u.id, u]));
  const group = tenant.groups.find((g) => g.id === groupId);
  return (group?.members ?? [])
    .filter((id) => {
      const u = users.get(id);
      return u !== undefined && filter(u);
    })
    .sort();
}

beforeEach(async () => {
  const h = harness.current;
  await graphAdmin.reset(h);
  const list = await call(syncJobsListHandler);
  for (const job of (list.body.value as SyncJob[]) ?? [])
    await call(syncJobDeleteHandler, { method: 'DELETE', params: { jobId: job.jobId } });
});

describe('sync API on Azurite and the Graph sandbox', () => {
  it("copies Group1Name into Group2Name by name, the seed's job, at the request lower bound", async () => {
    const h = harness.current;
    const created = await createJob({ name: 'seed copy', target: 'Group2Name', sources: [{ group: 'Group1Name' }] });
    expect(created.status).toBe(201);
    const job = created.body as unknown as SyncJob;
    expect(job).toMatchObject({
      target: G.group2Name.id,
      targetName: 'Group2Name',
      sources: [{ group: G.group1Name.id, displayName: 'Group1Name' }],
    });

    const run = await runJob(job.jobId);
    const expected = expectedMembers(await graphAdmin.tenant(h), G.group1Name.id, (u) => u.accountEnabled);
    expect(run.status).toBe('succeeded');
    expect([...run.plan.add].sort()).toEqual(expected);
    expect(run.counts).toMatchObject({ added: expected.length, removed: 0, failed: 0 });
    expect(await membersOf(h, G.group2Name.id)).toEqual(expected);
    // Two fully parallel $batch calls (group objects and delta tokens, then first member pages; Graph refuses batches
    // mixing dependsOn with independent items), then one $batch of bind PATCHes.
    expect(run.graphRequests.httpCalls).toBe(2 + Math.ceil(expected.length / 400));
    expect(run.target).toMatchObject({ id: G.group2Name.id, displayName: 'Group2Name', read: 'full' });

    const fetched = await call(syncRunGetHandler, { params: { runId: run.runId } });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ runId: run.runId, jobId: job.jobId, status: 'succeeded' });
  });

  it('reads only delta rounds on a re-run and applies the one change', async () => {
    const h = harness.current;
    const job = (
      await createJob({ name: 'delta', target: G.group2Name.id, sources: [{ group: G.group1Name.id }], mode: 'mirror' })
    ).body as unknown as SyncJob;
    await runJob(job.jobId);
    await graphAdmin.addMember(h, G.group1Name.id, DEMO_USERS.globalAdmin.id);
    const again = await runJob(job.jobId);
    expect(again.sources[0]?.read).toBe('delta');
    expect(again.target.read).toBe('delta');
    expect(again.plan).toEqual({ add: [DEMO_USERS.globalAdmin.id], remove: [] });
    // delta $batch + getByIds for the new member's properties + one write $batch
    expect(again.graphRequests.httpCalls).toBe(3);
    const idle = await runJob(job.jobId);
    expect(idle.plan).toEqual({ add: [], remove: [] });
    expect(idle.graphRequests.httpCalls).toBe(1);
  });

  it('reads in full when Graph answers the stored delta token with 400 syncStateNotFound instead of 410', async () => {
    const h = harness.current;
    const job = (
      await createJob({ name: 'expired', target: G.group2Name.id, sources: [{ group: G.group1Name.id }], mode: 'mirror' })
    ).body as unknown as SyncJob;
    await runJob(job.jobId);
    // A reset starts a new tenant epoch: every stored delta token is unknown to the sandbox from now on.
    await graphAdmin.reset(h);
    await graphAdmin.knobs(h, { expiredDeltaToken: '400' });
    const again = await runJob(job.jobId);
    expect(again.status).toBe('succeeded');
    expect(again.target.read).toBe('full');
    expect(again.sources[0]?.read).toBe('full');
  });

  it('changes nothing on a dry run', async () => {
    const h = harness.current;
    const job = (await createJob({ name: 'dry', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] }))
      .body as unknown as SyncJob;
    const run = await runJob(job.jobId, true);
    expect(run.dryRun).toBe(true);
    expect(run.plan.add.length).toBeGreaterThan(0);
    expect(await membersOf(h, G.group2Name.id)).toEqual([]);
    const stats = await graphAdmin.stats(h);
    expect(stats.byRouteInBatch['PATCH /groups/{id}'] ?? 0).toBe(0);
  });

  it('expands nested groups for a transitive source', async () => {
    const h = harness.current;
    const job = (
      await createJob({
        name: 'nested',
        target: G.group2Name.id,
        sources: [{ group: G.nestedTop.id, transitive: true }],
        includeDisabled: true,
      })
    ).body as unknown as SyncJob;
    const run = await runJob(job.jobId);
    const tenant = await graphAdmin.tenant(h);
    const nestedUsers = new Set(
      [G.nestedTop.id, G.nestedAmericas.id, G.nestedEmea.id, G.nestedUsField.id].flatMap((id) =>
        expectedMembers(tenant, id, () => true),
      ),
    );
    expect([...run.plan.add].sort()).toEqual([...nestedUsers].sort());
  });

  it('blocks a mirror job without explicit limits that would remove over the default 20% of the target', async () => {
    const h = harness.current;
    await graphAdmin.addMember(h, G.group2Name.id, DEMO_USERS.globalAdmin.id);
    const job = (
      await createJob({ name: 'mirror default', target: G.group2Name.id, sources: [{ group: G.nestedEmea.id }], mode: 'mirror' })
    ).body as unknown as SyncJob;
    expect(job.limits).toEqual({ maxRemovalPercent: 20 });
    const run = await runJob(job.jobId);
    expect(run).toMatchObject({ status: 'blocked', blockedBy: [{ limit: 'maxRemovalPercent', allowed: 20 }] });
    expect(await membersOf(h, G.group2Name.id)).toContain(DEMO_USERS.globalAdmin.id);
  });

  it('removes non-source members in mirror mode but keeps protected ones', async () => {
    const h = harness.current;
    await graphAdmin.addMember(h, G.group2Name.id, DEMO_USERS.globalAdmin.id);
    await graphAdmin.addMember(h, G.group2Name.id, DEMO_USERS.securityAdmin.id);
    const job = (
      await createJob({
        name: 'mirror',
        target: G.group2Name.id,
        sources: [{ group: G.group1Name.id }],
        mode: 'mirror',
        protected: [DEMO_USERS.securityAdmin.id],
        // Removes half the target on purpose: lift the default mirror removal limit explicitly.
        limits: { maxRemovalPercent: 100 },
      })
    ).body as unknown as SyncJob;
    const run = await runJob(job.jobId);
    expect(run.plan.remove).toEqual([DEMO_USERS.globalAdmin.id]);
    const members = await membersOf(h, G.group2Name.id);
    expect(members).toContain(DEMO_USERS.securityAdmin.id);
    expect(members).not.toContain(DEMO_USERS.globalAdmin.id);
  });

  it('filters guests out with userType Member', async () => {
    const h = harness.current;
    const job = (
      await createJob({ name: 'members', target: G.group2Name.id, sources: [{ group: G.group1Name.id }], userType: 'Member' })
    ).body as unknown as SyncJob;
    const run = await runJob(job.jobId);
    const expected = expectedMembers(
      await graphAdmin.tenant(h),
      G.group1Name.id,
      (u) => u.accountEnabled && u.userType === 'Member',
    );
    expect([...run.plan.add].sort()).toEqual(expected);
  });

  it('blocks a run that would exceed maxAdds and applies nothing', async () => {
    const h = harness.current;
    const job = (
      await createJob({ name: 'limit', target: G.group2Name.id, sources: [{ group: G.group1Name.id }], limits: { maxAdds: 5 } })
    ).body as unknown as SyncJob;
    const run = await runJob(job.jobId);
    expect(run.status).toBe('blocked');
    expect(run.blockedBy?.[0]).toMatchObject({ limit: 'maxAdds', allowed: 5 });
    expect(await membersOf(h, G.group2Name.id)).toEqual([]);
  });

  it.each([
    ['dynamic', G.salesDynamic.id, 'SYNC_TARGET_DYNAMIC'],
    ['on-premises synced', G.onPremSynced.id, 'SYNC_TARGET_ON_PREMISES'],
    ['mail-enabled security', G.mailEnabledSecurity.id, 'SYNC_TARGET_MAIL_ENABLED'],
    ['distribution', G.distribution.id, 'SYNC_TARGET_MAIL_ENABLED'],
  ])('refuses a %s target with the reason', async (_kind, target, code) => {
    const res = await createJob({ name: 'bad target', target, sources: [{ group: G.group1Name.id }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'SYNC_TARGET_NOT_WRITABLE' });
    expect(JSON.stringify(res.body.error)).toContain(code);
  });

  it('accepts a role-assignable target with a permission warning', async () => {
    const res = await createJob({ name: 'role', target: G.roleAssignable.id, sources: [{ group: G.group1Name.id }] });
    expect(res.status).toBe(201);
    expect(String((res.body as unknown as SyncJob).warnings[0])).toContain('RoleManagement.ReadWrite.Directory');
  });

  it('refuses unknown group ids, unknown and ambiguous names, and a source that is the target', async () => {
    const h = harness.current;
    const unknown = await createJob({
      name: 'x',
      target: '00000000-0000-4000-8000-000000000001',
      sources: [{ group: G.group1Name.id }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'SYNC_GROUP_NOT_FOUND' });

    const noName = await createJob({ name: 'x', target: G.group2Name.id, sources: [{ group: 'No Such Group' }] });
    expect(noName.body.error).toMatchObject({ code: 'SYNC_GROUP_NOT_FOUND' });

    const twin = await graphAdmin.createGroup(h, 'Group1Name');
    const ambiguous = await createJob({ name: 'x', target: G.group2Name.id, sources: [{ group: 'Group1Name' }] });
    expect(ambiguous.status).toBe(400);
    const error = ambiguous.body.error as {
      code: string;
      details: { candidates: { id: string; type: string; memberCount: number }[] };
    };
    expect(error.code).toBe('SYNC_GROUP_AMBIGUOUS');
    expect(error.details.candidates.map((c) => c.id).sort()).toEqual([G.group1Name.id, twin.id].sort());
    expect(error.details.candidates.find((c) => c.id === G.group1Name.id)).toMatchObject({ type: 'security', memberCount: 40 });

    const loop = await createJob({ name: 'x', target: G.group1Name.id, sources: [{ group: G.group1Name.id }] });
    expect(loop.body.error).toMatchObject({ code: 'SYNC_TARGET_IS_SOURCE' });
  });

  it('refuses the servicePrincipal member type on create and replace: v1.0 member lists omit service principals', async () => {
    const body = { name: 'sp', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] };
    const created = await createJob({ ...body, memberTypes: ['user', 'servicePrincipal'] });
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({
      code: 'SYNC_MEMBER_TYPE_UNSUPPORTED',
      details: { memberType: 'servicePrincipal' },
    });
    expect(String((created.body.error as { message: string }).message)).toContain('does not list service principals');
    expect((await call(syncJobsListHandler)).body.value).toEqual([]);

    const job = (await createJob(body)).body as unknown as SyncJob;
    const put = await call(syncJobPutHandler, {
      method: 'PUT',
      params: { jobId: job.jobId },
      body: { ...body, memberTypes: ['servicePrincipal'] },
    });
    expect(put.status).toBe(400);
    expect(put.body.error).toMatchObject({ code: 'SYNC_MEMBER_TYPE_UNSUPPORTED' });
    expect((await call(syncJobGetHandler, { params: { jobId: job.jobId } })).body).toMatchObject({ memberTypes: ['user'] });
  });

  it('refuses malformed bodies with what to fix', async () => {
    const missing = await createJob({ name: 'x', target: G.group2Name.id, sources: [] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'INVALID_BODY' });
    const typo = await createJob({ name: 'x', target: G.group2Name.id, sources: [{ group: G.group1Name.id }], protect: [] });
    expect(typo.body.error).toMatchObject({ code: 'INVALID_BODY' });
    const badJson = await call(syncJobsCreateHandler, { method: 'POST', rawBody: '{"name":' });
    expect(badJson.body.error).toMatchObject({ code: 'INVALID_JSON' });
    const wrongType = await call(syncJobsCreateHandler, { method: 'POST', rawBody: 'name=x', contentType: 'text/plain' });
    expect(wrongType.status).toBe(415);
    const badSchedule = await createJob({
      name: 'x',
      target: G.group2Name.id,
      sources: [{ group: G.group1Name.id }],
      schedule: '0 * * * *',
    });
    expect(JSON.stringify(badSchedule.body.error)).toContain('six fields');
    const job = (await createJob({ name: 'q', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] }))
      .body as unknown as SyncJob;
    const badQuery = await call(syncJobRunHandler, { method: 'POST', params: { jobId: job.jobId }, query: { dryRun: 'maybe' } });
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error).toMatchObject({ code: 'INVALID_QUERY' });
    // The same flag words as the phone import: `?dryRun=1` is a dry run here too.
    const numericDryRun = await call(syncJobRunHandler, { method: 'POST', params: { jobId: job.jobId }, query: { dryRun: '1' } });
    expect(numericDryRun.status).toBe(200);
    expect(numericDryRun.body).toMatchObject({ dryRun: true, status: 'succeeded' });
  });

  it('refuses a second job on the same target and a loop through another job', async () => {
    const first = await createJob({ name: 'one', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] });
    expect(first.status).toBe(201);
    const rival = await createJob({ name: 'two', target: G.group2Name.id, sources: [{ group: G.nestedTop.id }] });
    expect(rival.status).toBe(409);
    expect(rival.body.error).toMatchObject({ code: 'SYNC_TARGET_IN_USE' });
    const back = await createJob({ name: 'back', target: G.group1Name.id, sources: [{ group: G.group2Name.id }] });
    expect(back.status).toBe(409);
    expect(back.body.error).toMatchObject({ code: 'SYNC_JOB_LOOP' });
  });

  it('fails a run whose source was deleted, without touching the target', async () => {
    const h = harness.current;
    await graphAdmin.addMember(h, G.group2Name.id, DEMO_USERS.globalAdmin.id);
    const job = (
      await createJob({ name: 'gone', target: G.group2Name.id, sources: [{ group: G.nestedEmea.id }], mode: 'mirror' })
    ).body as unknown as SyncJob;
    await graphAdmin.deleteGroup(h, G.nestedEmea.id);
    const run = await runJob(job.jobId);
    expect(run.status).toBe('failed');
    expect(run.errors[0]).toMatchObject({ id: G.nestedEmea.id, code: 'SYNC_SOURCE_NOT_FOUND' });
    expect(await membersOf(h, G.group2Name.id)).toEqual([DEMO_USERS.globalAdmin.id]);
  });

  it('finishes through a 503 and a throttling storm mid-run', async () => {
    const h = harness.current;
    const job = (await createJob({ name: 'faults', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] }))
      .body as unknown as SyncJob;
    await graphAdmin.knobs(h, {
      faults: [
        { route: 'POST /$batch', kind: '503', times: 2, retryAfterSeconds: 0, scope: 'topLevel' },
        { route: 'PATCH /groups/{id}', kind: '429', times: 3, retryAfterSeconds: 0, scope: 'batchItem' },
      ],
    });
    const run = await runJob(job.jobId);
    expect(run.status).toBe('succeeded');
    expect(run.graphRequests.throttled).toBeGreaterThanOrEqual(3);
    expect(run.graphRequests.retries).toBeGreaterThanOrEqual(5);
    expect((await membersOf(h, G.group2Name.id)).length).toBe(run.plan.add.length);
  });

  it('fails cleanly when a throttling storm outlasts every retry, and the re-run finishes the job', async () => {
    const h = harness.current;
    const job = (await createJob({ name: 'storm', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] }))
      .body as unknown as SyncJob;
    await graphAdmin.knobs(h, { faults: [{ route: '*', kind: '429', times: 1000, retryAfterSeconds: 0, scope: 'batchItem' }] });
    const stormed = await runJob(job.jobId);
    expect(stormed.status).toBe('failed');
    expect(stormed.errors[0]?.code).toBe('SYNC_READ_FAILED');
    expect(stormed.graphRequests.throttled).toBeGreaterThan(6);
    expect(await membersOf(h, G.group2Name.id)).toEqual([]);
    await graphAdmin.knobs(h, { faults: [] });
    const rerun = await runJob(job.jobId);
    expect(rerun.status).toBe('succeeded');
    expect((await membersOf(h, G.group2Name.id)).length).toBe(rerun.plan.add.length);
  });

  it('replaces and deletes a job; unknown ids answer 404', async () => {
    const job = (await createJob({ name: 'edit', target: G.group2Name.id, sources: [{ group: G.group1Name.id }] }))
      .body as unknown as SyncJob;
    const put = await call(syncJobPutHandler, {
      method: 'PUT',
      params: { jobId: job.jobId },
      body: {
        name: 'edited',
        target: G.group2Name.id,
        sources: [{ group: G.group1Name.id }],
        mode: 'mirror',
        schedule: '0 0 * * * *',
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      jobId: job.jobId,
      name: 'edited',
      mode: 'mirror',
      schedule: '0 0 * * * *',
      createdAt: job.createdAt,
    });
    expect((await call(syncJobGetHandler, { params: { jobId: job.jobId } })).body).toMatchObject({ name: 'edited' });
    expect((await call(syncJobDeleteHandler, { method: 'DELETE', params: { jobId: job.jobId } })).status).toBe(204);
    expect((await call(syncJobGetHandler, { params: { jobId: job.jobId } })).status).toBe(404);
    expect((await call(syncJobGetHandler, { params: { jobId: 'not-a-guid' } })).status).toBe(400);
  });

  it('proposes and creates disabled mirror jobs for dynamic groups with memberOf rules', async () => {
    const proposed = await call(syncImportMemberOfHandler, { method: 'POST', query: { dryRun: 'true' } });
    expect(proposed.status).toBe(200);
    const proposals = proposed.body.proposals as {
      group: { id: string };
      status: string;
      job: { sources: { group: string }[]; mode: string };
    }[];
    const p = proposals.find((x) => x.group.id === G.memberOfDynamic.id);
    expect(p).toMatchObject({ status: 'proposed', job: { mode: 'mirror' } });
    expect(p?.job.sources.map((s) => s.group).sort()).toEqual(
      [DEMO_DEPARTMENT_GROUPS.Sales, DEMO_DEPARTMENT_GROUPS.Marketing].sort(),
    );
    expect((await call(syncJobsListHandler)).body.value).toEqual([]);

    const converted = await call(syncImportMemberOfHandler, { method: 'POST', query: { dryRun: 'false' } });
    const created = (converted.body.proposals as { group: { id: string }; status: string; jobId: string }[]).find(
      (x) => x.group.id === G.memberOfDynamic.id,
    );
    expect(created?.status).toBe('created');
    const job = (await call(syncJobGetHandler, { params: { jobId: created!.jobId } })).body as unknown as SyncJob;
    expect(job).toMatchObject({ enabled: false, mode: 'mirror', target: G.memberOfDynamic.id });
    expect(job.warnings.join(' ')).toContain('dynamic');

    const again = await call(syncImportMemberOfHandler, { method: 'POST', query: { dryRun: 'false' } });
    expect(
      (again.body.proposals as { group: { id: string }; status: string }[]).find((x) => x.group.id === G.memberOfDynamic.id)
        ?.status,
    ).toBe('exists');
  });

  it('runs a due scheduled job from the timer', async () => {
    const h = harness.current;
    const job = (
      await createJob({ name: 'timer', target: G.group2Name.id, sources: [{ group: G.group1Name.id }], schedule: '* * * * * *' })
    ).body as unknown as SyncJob;
    const store = syncStores(getServices().storage);
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: '' },
    };
    const state = await eventually('a scheduled run', async () => {
      await syncTimerHandler(timer, new InvocationContext({ invocationId: 'timer', functionName: 'syncTimer' }));
      return (await store.schedules.getScheduleState(job.jobId))?.lastRunId;
    });
    const run = await store.runs.getRun(state);
    expect(run).toMatchObject({ jobId: job.jobId, trigger: 'timer', actor: 'timer', status: 'succeeded' });
    expect((await membersOf(h, G.group2Name.id)).length).toBe(run?.counts.added);
  });
});
