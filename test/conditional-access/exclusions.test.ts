import { InvocationContext, type Timer } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';

import { caExclusionsCreateHandler } from '../../functions/caExclusionsCreate';
import { caExclusionsDeleteHandler } from '../../functions/caExclusionsDelete';
import { caExclusionsListHandler } from '../../functions/caExclusionsList';
import { exclusionsTimerHandler } from '../../functions/caExclusionsTimer';
import { DEMO_CA_POLICIES, DEMO_USERS } from '../../local/tenants/demoIds';
import type { Exclusion } from '../../shared/conditional-access/exclusions';
import { getServices } from '../../shared/runtime/services';
import { TableCaExclusionStore } from '../../shared/storage/caExclusionStore';
import { call, graphAdmin, resetSandbox, setKnobs, useCaHarness } from './harness';

/** Expiring exclusions through their routes and timer, on Azurite and the demo tenant in the Graph sandbox. */
const harness = useCaHarness({ CA_EXCLUSION_MAX_DAYS: '30' });

const POLICY = DEMO_CA_POLICIES.compliantDevice.id;
const OTHER_POLICY = DEMO_CA_POLICIES.mfaForAdmins.id;
const USER = DEMO_USERS.deviceNotCompliant;
const USER2 = DEMO_USERS.smsReady;
const HOUR = 3600_000;
const inHours = (h: number) => new Date(Date.now() + h * HOUR).toISOString();

const create = (body: Record<string, unknown>) => call(caExclusionsCreateHandler, { method: 'POST', body });
const list = async () => ((await call(caExclusionsListHandler)).body.value ?? []) as Exclusion[];
const runTimer = (now: Date) =>
  exclusionsTimerHandler(() => now)(
    {} as Timer,
    new InvocationContext({ invocationId: 'ex', functionName: 'caExclusionsTimer' }),
  );

async function members(groupId: string): Promise<string[]> {
  const res = await graphAdmin(harness.current, `/v1.0/groups/${groupId}/members?$select=id`);
  return ((res.body as { value: { id: string }[] }).value ?? []).map((m) => m.id);
}
async function excludedGroups(policyId: string): Promise<string[]> {
  const res = await graphAdmin(harness.current, `/v1.0/identity/conditionalAccess/policies/${policyId}`);
  return (res.body as { conditions: { users: { excludeGroups: string[] } } }).conditions.users.excludeGroups;
}

/** Dry run, then apply with its plan: the first exclusion of a policy creates its group. */
async function exclude(user: string, expiresAt: string, policyId = POLICY): Promise<Exclusion> {
  const base = { policyId, user, expiresAt, reason: 'travel without a compliant device' };
  const plan = await create(base);
  expect(plan.status).toBe(200);
  const applied = await create({ ...base, dryRun: false, planId: plan.body.planId });
  expect(applied.status, JSON.stringify(applied.body)).toBe(201);
  return applied.body.exclusion as Exclusion;
}

beforeEach(async () => {
  await resetSandbox(harness.current);
  for (const e of await list())
    await call(caExclusionsDeleteHandler, { method: 'DELETE', params: { exclusionId: e.exclusionId } });
});

describe('expiring CA exclusions', () => {
  it('refuses past, too-far and malformed requests, unknown policies and users, changing nothing', async () => {
    const base = { policyId: POLICY, user: USER.userPrincipalName, reason: 'trip' };
    const codes = async (body: Record<string, unknown>) => {
      const r = await create(body);
      return [r.status, r.body.error?.code];
    };
    expect(await codes({ ...base, expiresAt: inHours(-1) })).toEqual([400, 'EXPIRY_IN_PAST']);
    expect(await codes({ ...base, expiresAt: inHours(31 * 24) })).toEqual([400, 'EXPIRY_TOO_FAR']);
    expect((await create({ ...base, expiresAt: 'tomorrow' })).status).toBe(400);
    expect((await create({ ...base, expiresAt: inHours(1), extra: 1 })).status).toBe(400);
    expect(await codes({ ...base, policyId: '00000000-0000-4000-8000-000000000000', expiresAt: inHours(1) })).toEqual([
      404,
      'POLICY_NOT_FOUND',
    ]);
    expect(await codes({ ...base, user: 'nobody@contosodemo.onmicrosoft.com', expiresAt: inHours(1) })).toEqual([
      404,
      'USER_NOT_FOUND',
    ]);
    const raw = await call(caExclusionsCreateHandler, { method: 'POST', rawBody: '{"policyId":' });
    expect(raw.status).toBe(400);
    expect(await list()).toEqual([]);
  });

  it('creates the policy exclusion group only with the plan of a dry run for that policy', async () => {
    const base = { policyId: POLICY, user: USER.userPrincipalName, expiresAt: inHours(2), reason: 'trip' };
    const before = await excludedGroups(POLICY);
    const dry = await create(base);
    expect(dry.body).toMatchObject({ dryRun: true, policyChange: 'createGroupAndExclude' });
    expect(await excludedGroups(POLICY)).toEqual(before);

    expect((await create({ ...base, dryRun: false })).body.error?.code).toBe('PLAN_REQUIRED');
    const other = await create({ ...base, policyId: OTHER_POLICY });
    const mismatch = await create({ ...base, dryRun: false, planId: other.body.planId });
    expect([mismatch.status, mismatch.body.error?.code]).toEqual([409, 'PLAN_MISMATCH']);
    const unknown = await create({ ...base, dryRun: false, planId: '3f1c9a52-7d4b-4e8a-9b1c-2d3e4f5a6b7c' });
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'PLAN_NOT_FOUND']);
    expect(await excludedGroups(POLICY)).toEqual(before);

    const applied = await create({ ...base, dryRun: false, planId: dry.body.planId });
    expect(applied.status).toBe(201);
    const e = applied.body.exclusion as Exclusion;
    expect(await excludedGroups(POLICY)).toEqual([...before, e.groupId]);
    expect(await members(e.groupId)).toEqual([USER.id]);

    // The group is now the policy's: a second user needs no plan, and the same user again is a conflict.
    const second = await create({ ...base, user: USER2.id, dryRun: false });
    expect(second.status).toBe(201);
    expect((second.body.exclusion as Exclusion).groupId).toBe(e.groupId);
    expect(second.body.policyChange).toBe('none');
    const again = await create({ ...base, dryRun: false });
    expect([again.status, again.body.error?.code]).toEqual([409, 'EXCLUSION_EXISTS']);
    expect((await excludedGroups(POLICY)).filter((g) => g === e.groupId)).toHaveLength(1);
    expect((await list()).map((x) => x.userId).sort()).toEqual([USER.id, USER2.id].sort());
  });

  it('expires an exclusion on its own when the timer runs after expiresAt, and audits it', async () => {
    const soon = await exclude(USER.userPrincipalName, inHours(1));
    const later = await exclude(USER2.userPrincipalName, inHours(5));
    await runTimer(new Date(Date.now() + 0.5 * HOUR));
    expect((await list()).length).toBe(2);

    await runTimer(new Date(Date.now() + 2 * HOUR));
    expect((await list()).map((x) => x.exclusionId)).toEqual([later.exclusionId]);
    expect(await members(soon.groupId)).toEqual([USER2.id]);
    // The group stays excluded by the policy for the next exclusion.
    expect(await excludedGroups(POLICY)).toContain(soon.groupId);
    const audit = await getServices().audit.list({ runId: soon.exclusionId });
    expect(audit.map((a) => a.action).sort()).toEqual(['ca.exclusion.add', 'ca.exclusion.expire']);

    // A re-run (or a member someone already removed by hand) changes nothing more.
    await graphAdmin(harness.current, `/v1.0/groups/${later.groupId}/members/${USER2.id}/$ref`, { method: 'DELETE' });
    await runTimer(new Date(Date.now() + 6 * HOUR));
    await runTimer(new Date(Date.now() + 6 * HOUR));
    expect(await list()).toEqual([]);
  });

  it('ends an exclusion early with DELETE, idempotently', async () => {
    const e = await exclude(USER.id, inHours(3));
    const del = () => call(caExclusionsDeleteHandler, { method: 'DELETE', params: { exclusionId: e.exclusionId } });
    const first = await del();
    expect([first.status, first.body.status]).toEqual([200, 'ended']);
    expect(await members(e.groupId)).toEqual([]);
    const second = await del();
    expect([second.status, second.body.status, second.body.endedAt]).toEqual([200, 'ended', first.body.endedAt]);
    expect(await list()).toEqual([]);
    const missing = await call(caExclusionsDeleteHandler, {
      method: 'DELETE',
      params: { exclusionId: '3f1c9a52-7d4b-4e8a-9b1c-2d3e4f5a6b7c' },
    });
    expect([missing.status, missing.body.error?.code]).toEqual([404, 'EXCLUSION_NOT_FOUND']);
    const bad = await call(caExclusionsDeleteHandler, { method: 'DELETE', params: { exclusionId: "x' or 1" } });
    expect(bad.status).toBe(400);
  });
});

/**
 * A run killed after Graph applied the membership DELETE and before it stored the end leaves the exclusion active with
 * `removalStartedAt` set; the next run must read the group instead of sending the DELETE again.
 */
describe('an expiry an earlier run started and did not finish', () => {
  const store = () => new TableCaExclusionStore(getServices().storage);
  const sandboxStats = async () => {
    const writes = (await graphAdmin(harness.current, '/_sandbox/stats/writes')).body as Record<string, number>;
    const stats = (await graphAdmin(harness.current, '/_sandbox/stats')).body as { byRoute: Record<string, number> };
    const deletes = Object.entries(writes).filter(([key]) => key.startsWith('DELETE '));
    const memberReads = Object.entries(stats.byRoute)
      .filter(([route]) => route.startsWith('GET ') && route.endsWith('/members'))
      .reduce((n, [, count]) => n + count, 0);
    return { deletes: Object.fromEntries(deletes), memberReads };
  };
  /** An exclusion past expiry whose removal a dead run had started; `removed`: that run's DELETE reached Graph. */
  async function interrupted(removed: boolean): Promise<Exclusion> {
    const e = await exclude(USER.userPrincipalName, inHours(1));
    await store().put({ ...e, removalStartedAt: new Date(Date.now() + 1.5 * HOUR).toISOString() });
    if (removed) {
      const res = await graphAdmin(harness.current, `/v1.0/groups/${e.groupId}/members/${USER.id}/$ref`, { method: 'DELETE' });
      expect(res.status).toBe(204);
    }
    await graphAdmin(harness.current, '/_sandbox/stats/reset', { method: 'POST' });
    return e;
  }
  const auditOf = async (e: Exclusion) => {
    const rows = await getServices().audit.list({ runId: e.exclusionId });
    return rows.filter((a) => a.action === 'ca.exclusion.expire');
  };

  it('sends no DELETE when the user is no longer a member, and still expires and audits the exclusion', async () => {
    const e = await interrupted(true);
    await runTimer(new Date(Date.now() + 2 * HOUR));
    expect(await sandboxStats()).toEqual({ deletes: {}, memberReads: 1 });
    expect(await list()).toEqual([]);
    expect(await store().get(e.exclusionId)).toMatchObject({ status: 'expired', endedBy: 'timer' });
    const audit = await auditOf(e);
    expect(audit).toHaveLength(1);
    // Whether that run's DELETE or someone else removed the member cannot be told any more.
    expect(audit[0]?.details).toMatchObject({ groupId: e.groupId, wasMember: null });
    expect(await members(e.groupId)).toEqual([]);
  });

  it('sends the DELETE once when the user is still a member', async () => {
    const e = await interrupted(false);
    await runTimer(new Date(Date.now() + 2 * HOUR));
    await runTimer(new Date(Date.now() + 3 * HOUR));
    const { deletes, memberReads } = await sandboxStats();
    expect(Object.values(deletes)).toEqual([1]);
    expect(Object.keys(deletes)[0]).toContain(`/groups/${e.groupId}/members/${USER.id}/$ref`);
    expect(memberReads).toBe(1);
    expect(await members(e.groupId)).toEqual([]);
    expect(await store().get(e.exclusionId)).toMatchObject({ status: 'expired' });
    const audit = await auditOf(e);
    expect(audit.map((a) => a.details?.wasMember)).toEqual([true]);
  });

  it('treats a deleted exclusion group as no membership: no DELETE, the exclusion expires', async () => {
    const e = await interrupted(false);
    expect((await graphAdmin(harness.current, `/v1.0/groups/${e.groupId}`, { method: 'DELETE' })).status).toBe(204);
    await graphAdmin(harness.current, '/_sandbox/stats/reset', { method: 'POST' });
    await runTimer(new Date(Date.now() + 2 * HOUR));
    expect((await sandboxStats()).deletes).toEqual({});
    expect(await store().get(e.exclusionId)).toMatchObject({ status: 'expired' });
    expect(await auditOf(e)).toHaveLength(1);
  });

  it('ends an interrupted exclusion through DELETE /api/ca/exclusions/{id} without a second membership DELETE', async () => {
    const e = await interrupted(true);
    const res = await call(caExclusionsDeleteHandler, { method: 'DELETE', params: { exclusionId: e.exclusionId } });
    expect([res.status, res.body.status]).toEqual([200, 'ended']);
    expect(await sandboxStats()).toEqual({ deletes: {}, memberReads: 1 });
    const rows = await getServices().audit.list({ runId: e.exclusionId });
    expect(rows.filter((a) => a.action === 'ca.exclusion.end')).toHaveLength(1);
  });

  it('follows @odata.nextLink when the member is past the first page of the group', async () => {
    // 1,000 other members first: the user is on the second page of 999.
    const tenant = (await graphAdmin(harness.current, '/_sandbox/tenant')).body as {
      users: Record<string, unknown>[];
      groups: Record<string, unknown>[];
    };
    const fillers = Array.from({ length: 1000 }, (_, i) => ({
      id: `0f0e0d0c-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userPrincipalName: `filler${i}@contosodemo.onmicrosoft.com`,
      displayName: `Filler ${i}`,
      userType: 'Member',
      accountEnabled: true,
    }));
    const groupId = '0f0e0d0c-1111-4000-8000-000000000001';
    tenant.users.push(...fillers);
    tenant.groups.push({
      id: groupId,
      displayName: `CA exclusion ${POLICY}`,
      groupTypes: [],
      mailEnabled: false,
      securityEnabled: true,
      members: [...fillers.map((f) => f.id), USER.id],
    });
    expect((await graphAdmin(harness.current, '/_sandbox/tenant', { method: 'POST', body: tenant })).status).toBe(204);
    const e: Exclusion = {
      exclusionId: '0f0e0d0c-2222-4000-8000-000000000001',
      policyId: POLICY,
      policyName: 'Require compliant device',
      groupId,
      userId: USER.id,
      userPrincipalName: USER.userPrincipalName,
      expiresAt: inHours(-1),
      reason: 'travel',
      createdBy: 'test',
      createdAt: inHours(-24),
      status: 'active',
      removalStartedAt: inHours(-0.5),
    };
    await store().put(e);
    await graphAdmin(harness.current, '/_sandbox/stats/reset', { method: 'POST' });
    await runTimer(new Date());
    const { deletes, memberReads } = await sandboxStats();
    expect(memberReads).toBe(2);
    expect(Object.values(deletes)).toEqual([1]);
    expect(await store().get(e.exclusionId)).toMatchObject({ status: 'expired' });
    expect((await auditOf(e)).map((a) => a.details?.wasMember)).toEqual([true]);
  });

  it('keeps the exclusion active and sends no DELETE when the membership read fails; the next run finishes it', async () => {
    const e = await interrupted(false);
    await setKnobs(harness.current, { faults: [{ route: 'GET /groups/{id}/members', kind: '403', times: 1 }] });
    await runTimer(new Date(Date.now() + 2 * HOUR));
    expect(await sandboxStats()).toEqual({ deletes: {}, memberReads: 1 });
    const pending = await store().get(e.exclusionId);
    expect([pending?.status, typeof pending?.removalStartedAt]).toEqual(['active', 'string']);
    expect(await auditOf(e)).toEqual([]);

    await runTimer(new Date(Date.now() + 2.1 * HOUR));
    const { deletes, memberReads } = await sandboxStats();
    expect([Object.values(deletes), memberReads]).toEqual([[1], 2]);
    expect(await store().get(e.exclusionId)).toMatchObject({ status: 'expired' });
    expect(await auditOf(e)).toHaveLength(1);
  });

  it('records the intent before the first DELETE, so a run that dies after it can be told apart', async () => {
    const e = await exclude(USER.userPrincipalName, inHours(1));
    await graphAdmin(harness.current, '/_sandbox/stats/reset', { method: 'POST' });
    const at = new Date(Date.now() + 2 * HOUR);
    await runTimer(at);
    expect(await store().get(e.exclusionId)).toMatchObject({ status: 'expired', removalStartedAt: at.toISOString() });
    // A first attempt needs no read: only a run that finds an intent pays for one.
    expect(await sandboxStats()).toMatchObject({ memberReads: 0 });
    expect(Object.values((await sandboxStats()).deletes)).toEqual([1]);
  });
});
