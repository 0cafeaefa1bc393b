import { beforeEach, describe, expect, it } from 'vitest';

import { remediationsPostHandler } from '../../functions/remediationsPost';
import { remediationWorkerHandler } from '../../functions/remediationWorker';
import { tapIssueHandler } from '../../functions/tapIssue';
import { tapRetrieveHandler } from '../../functions/tapRetrieve';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { createLogger } from '../../shared/log';
import { privilegedLookup, remediationRunDeps } from '../../shared/runtime/remediation';
import { getServices } from '../../shared/runtime/services';
import { call, context, graphAs, riskyUser, sandboxControl, user, useRemediationHarness } from './harness';

/**
 * TAP issuance, one-time retrieval and admin-initiated remediation through the real handlers, on Azurite and the
 * Graph sandbox (demo tenant, whose TAP policy allows one-time passes only).
 */
const harness = useRemediationHarness();
const TAP_POLICY = '/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';

beforeEach(async () => {
  await sandboxControl(harness.current, 'reset');
});

const remediate = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call(harness.current, remediationsPostHandler, { method: 'POST', body, headers });

describe('POST /api/users/{user}/tap', () => {
  it("refuses a multi-use pass under the demo tenant's one-time-only policy, naming the setting, then issues it once the policy allows", async () => {
    const h = harness.current;
    const refused = await call(h, tapIssueHandler, {
      method: 'POST',
      params: { user: DEMO_USERS.salesManager.userPrincipalName },
      body: { isUsableOnce: false },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'TAP_MULTI_USE_NOT_ALLOWED',
      details: { setting: expect.stringContaining('isUsableOnce') as unknown },
    });
    expect(JSON.stringify(refused.body)).toContain('User Credential Policy');
    const taps = (await graphAs(h, `/v1.0/users/${DEMO_USERS.salesManager.id}/authentication/temporaryAccessPassMethods`)) as {
      value: unknown[];
    };
    expect(taps.value, 'nothing was created').toHaveLength(0);

    await graphAs(h, TAP_POLICY, { method: 'PATCH', body: { isUsableOnce: false } });
    const issued = await call(h, tapIssueHandler, {
      method: 'POST',
      params: { user: DEMO_USERS.salesManager.userPrincipalName },
      body: { isUsableOnce: false },
    });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ isUsableOnce: false, lifetimeInMinutes: 60, userId: DEMO_USERS.salesManager.id });
    expect(String(issued.body.temporaryAccessPass)).toMatch(/^.{8,48}$/);
  });

  it('defaults to a short, multi-use pass where the policy allows it, and one-time where it does not', async () => {
    const h = harness.current;
    const oneTime = await call(h, tapIssueHandler, { method: 'POST', params: { user: DEMO_USERS.salesManager.id }, body: {} });
    expect(oneTime.status).toBe(201);
    expect(oneTime.body).toMatchObject({ isUsableOnce: true, lifetimeInMinutes: 60 });
    await graphAs(h, TAP_POLICY, { method: 'PATCH', body: { isUsableOnce: false } });
    const multi = await call(h, tapIssueHandler, { method: 'POST', params: { user: DEMO_USERS.salesManager.id }, body: {} });
    expect(multi.body).toMatchObject({ isUsableOnce: false, lifetimeInMinutes: 60 });
  });

  it('refuses a lifetime outside the policy bounds, a user outside its targets, a disabled policy and an external guest', async () => {
    const h = harness.current;
    const u = DEMO_USERS.salesManager.id;
    const tooLong = await call(h, tapIssueHandler, { method: 'POST', params: { user: u }, body: { lifetimeInMinutes: 600 } });
    expect(tooLong.body.error).toMatchObject({ code: 'TAP_LIFETIME_OUT_OF_BOUNDS' });
    const guest = await call(h, tapIssueHandler, { method: 'POST', params: { user: DEMO_USERS.riskyGuest.id }, body: {} });
    expect(guest.body.error).toMatchObject({ code: 'TAP_EXTERNAL_GUEST' });
    await graphAs(h, TAP_POLICY, { method: 'PATCH', body: { excludeTargets: [{ targetType: 'user', id: u }] } });
    const excluded = await call(h, tapIssueHandler, { method: 'POST', params: { user: u }, body: {} });
    expect(excluded.body.error).toMatchObject({ code: 'TAP_USER_NOT_TARGETED' });
    await graphAs(h, TAP_POLICY, { method: 'PATCH', body: { state: 'disabled' } });
    const off = await call(h, tapIssueHandler, { method: 'POST', params: { user: u }, body: {} });
    expect(off.body.error).toMatchObject({
      code: 'TAP_POLICY_DISABLED',
      details: { setting: expect.stringContaining('state') as unknown },
    });
  });

  it('answers 404 for an unknown user and 400 for unknown fields', async () => {
    const h = harness.current;
    const missing = await call(h, tapIssueHandler, {
      method: 'POST',
      params: { user: 'nobody@contosodemo.onmicrosoft.com' },
      body: {},
    });
    expect(missing.status).toBe(404);
    const typo = await call(h, tapIssueHandler, {
      method: 'POST',
      params: { user: DEMO_USERS.salesManager.id },
      body: { lifetime: 60 },
    });
    expect(typo.status).toBe(400);
  });
});

describe('POST /api/remediations and GET /api/taps/{retrievalId}', () => {
  it('issues a pass into the vault: the answer carries a link, the link works once', async () => {
    const h = harness.current;
    const res = await remediate({ userId: DEMO_USERS.salesManager.id, action: 'issueTap', reason: 'locked out after reset' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'succeeded', action: 'issueTap' });
    const outcome = res.body.outcome as { retrievalId: string; retrievalUrl: string };
    expect(JSON.stringify(res.body)).not.toMatch(/temporaryAccessPass"/);
    expect(outcome.retrievalUrl).toBe(`https://entra-ops.example/api/taps/${outcome.retrievalId}`);

    const first = await call(h, tapRetrieveHandler, { params: { retrievalId: outcome.retrievalId } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: 'temporaryAccessPass', userId: DEMO_USERS.salesManager.id });
    expect(String(first.body.value)).toMatch(/^.{8,48}$/);
    const second = await call(h, tapRetrieveHandler, { params: { retrievalId: outcome.retrievalId } });
    expect(second.status).toBe(404);
  });

  it('blocks and unblocks sign-in, seen through Graph, and the same idempotency key runs once', async () => {
    const h = harness.current;
    const id = DEMO_USERS.salesManager.id;
    const key = { 'idempotency-key': 'block-liam-0001' };
    const blocked = await remediate({ userId: id, action: 'block', reason: 'suspicious sign-ins' }, key);
    expect(blocked.body).toMatchObject({ state: 'succeeded' });
    expect((await user(h, id)).accountEnabled).toBe(false);
    await graphAs(h, `/v1.0/users/${id}`, { method: 'PATCH', body: { accountEnabled: true } });
    const again = await remediate({ userId: id, action: 'block', reason: 'suspicious sign-ins' }, key);
    expect(again.body).toMatchObject({ requestId: blocked.body.requestId, state: 'succeeded' });
    expect((await user(h, id)).accountEnabled, 'the replayed request did not run again').toBe(true);
    const unblocked = await remediate({ userId: id, action: 'unblock', reason: 'verified by phone' });
    expect(unblocked.body).toMatchObject({ state: 'succeeded' });
  });

  it('resets a password into the vault (never into the answer) and the reset remediates the user risk', async () => {
    const h = harness.current;
    const id = DEMO_USERS.riskyHigh.id;
    const res = await remediate({ userId: id, action: 'resetPassword', reason: 'leaked credentials' });
    expect(res.body).toMatchObject({ state: 'succeeded' });
    const outcome = res.body.outcome as { retrievalId: string };
    const secret = await call(h, tapRetrieveHandler, { params: { retrievalId: outcome.retrievalId } });
    expect(secret.body).toMatchObject({ kind: 'temporaryPassword', userId: id });
    expect(String(secret.body.value)).toHaveLength(20);
    const risky = await riskyUser(h, id);
    expect(risky).toMatchObject({ riskState: 'remediated', riskDetail: 'adminGeneratedTemporaryPassword' });
  });

  it('dismisses and confirms risk, revokes sessions and requires a password change', async () => {
    const h = harness.current;
    const id = DEMO_USERS.riskyHigh.id;
    expect((await remediate({ userId: id, action: 'dismiss', reason: 'false positive' })).body).toMatchObject({
      state: 'succeeded',
    });
    expect(await riskyUser(h, id)).toMatchObject({ riskState: 'dismissed' });
    expect((await remediate({ userId: id, action: 'confirmCompromised', reason: 'confirmed' })).body).toMatchObject({
      state: 'succeeded',
    });
    expect(await riskyUser(h, id)).toMatchObject({ riskState: 'confirmedCompromised' });
    expect((await remediate({ userId: id, action: 'revokeSessions', reason: 'stolen laptop' })).body).toMatchObject({
      state: 'succeeded',
    });
    expect((await user(h, id)).signInSessionsValidFromDateTime).toBeTruthy();
    expect((await remediate({ userId: id, action: 'requirePasswordChange', reason: 'hygiene' })).body).toMatchObject({
      state: 'succeeded',
    });
  });

  it('refuses before acting: a guest risk dismissal, an action off the allow-list, a synced user without writeback, an admin without the role', async () => {
    const guest = await remediate({ userId: DEMO_USERS.riskyGuest.id, action: 'dismiss', reason: 'try' });
    expect(guest.body).toMatchObject({ state: 'refused', outcome: { code: 'REMEDIATION_ACTION_NOT_ALLOWED' } });
    const synced = await remediate({ userId: DEMO_USERS.onPremSynced.id, action: 'resetPassword', reason: 'try' });
    expect(synced.body).toMatchObject({ state: 'refused', outcome: { code: 'REMEDIATION_SYNCED_NEEDS_WRITEBACK' } });
    const syncedBlock = await remediate({ userId: DEMO_USERS.onPremSynced.id, action: 'block', reason: 'try' });
    expect(syncedBlock.body).toMatchObject({ state: 'refused', outcome: { code: 'REMEDIATION_SYNCED_ACCOUNT' } });
    const admin = await remediate({ userId: DEMO_USERS.globalAdmin.id, action: 'revokeSessions', reason: 'try' });
    expect(admin.body).toMatchObject({ state: 'refused', outcome: { code: 'REMEDIATION_NEEDS_DIRECTORY_ROLE' } });
    const notAllowed = await remediate({ userId: DEMO_USERS.globalAdmin.id, action: 'block', reason: 'try' });
    expect(notAllowed.body).toMatchObject({
      state: 'refused',
      outcome: {
        code: 'REMEDIATION_ACTION_NOT_ALLOWED',
        fix: expect.stringContaining('REMEDIATION_ALLOW_PRIVILEGED') as unknown,
      },
    });
  });

  it('reports a deleted user and a Graph 403 that names the missing permission', async () => {
    const h = harness.current;
    const gone = await remediate({ userId: '00000000-0000-4000-8000-00000000dead', action: 'block', reason: 'gone' });
    expect(gone.body).toMatchObject({ state: 'failed', outcome: { code: 'USER_NOT_FOUND' } });
    await sandboxControl(h, 'knobs', { faults: [{ route: 'POST /users/{id}/revokeSignInSessions', kind: '403', times: 1 }] });
    const forbidden = await remediate({ userId: DEMO_USERS.salesManager.id, action: 'revokeSessions', reason: '403' });
    expect(forbidden.body).toMatchObject({ state: 'failed', outcome: { code: 'GRAPH_PERMISSION_MISSING' } });
    expect(JSON.stringify(forbidden.body)).toContain('User.RevokeSessions.All');
  });

  it('retries an idempotent action after 5xx, and reports a secret-issuing one instead of running it twice', async () => {
    const h = harness.current;
    await sandboxControl(h, 'knobs', { faults: [{ route: 'PATCH /users/{id}', kind: '503', times: 10 }] });
    const blocked = await remediate({ userId: DEMO_USERS.salesManager.id, action: 'block', reason: 'outage' });
    expect(blocked.status).toBe(202);
    expect(blocked.body).toMatchObject({ state: 'queued', attempts: 1 });
    await sandboxControl(h, 'knobs', {
      faults: [{ route: 'POST /users/{id}/authentication/temporaryAccessPassMethods', kind: '500', times: 1 }],
    });
    const tap = await remediate({ userId: DEMO_USERS.smsReady.id, action: 'issueTap', reason: 'outage' });
    expect(tap.body).toMatchObject({ state: 'failed', outcome: { code: 'GRAPH_UNAVAILABLE_OUTCOME_UNKNOWN' } });
  });

  it('re-runs a secret-issuing action its dead runner left before the Graph write, and reports one left after it', async () => {
    const h = harness.current;
    const services = getServices();
    const ctx = context(h, 'remediationWorker');
    const deps = remediationRunDeps(services, createLogger('silent'), privilegedLookup(services));
    const taps = async (userId: string) =>
      ((await graphAs(h, `/v1.0/users/${userId}/authentication/temporaryAccessPassMethods`)) as { value: unknown[] }).value;
    const died = async (userId: string, startedWrite: boolean) => {
      const subject = `user:${userId}`;
      const { request } = await deps.store.record({
        subject,
        idempotencyKey: `died-${userId}`,
        action: 'issueTap',
        userId,
        approvedBy: 'admin@contoso',
        reason: 'runner died',
        approvedAt: new Date().toISOString(),
        source: 'admin',
      });
      await deps.store.update(subject, request.requestId, {
        state: 'running',
        attempts: 1,
        ...(startedWrite ? { actionStartedAt: new Date().toISOString() } : {}),
      });
      await remediationWorkerHandler({ kind: 'drain', subject }, ctx);
      return deps.store.get(subject, request.requestId);
    };

    expect(await died(DEMO_USERS.smsReady.id, false)).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(await taps(DEMO_USERS.smsReady.id)).toHaveLength(1);
    expect(await died(DEMO_USERS.smsNoPhone.id, true)).toMatchObject({
      state: 'failed',
      outcome: { code: 'REMEDIATION_INTERRUPTED' },
    });
    expect(await taps(DEMO_USERS.smsNoPhone.id), 'not issued a second time').toHaveLength(0);
  });

  it('refuses bad bodies with 400', async () => {
    expect((await remediate({ userId: DEMO_USERS.salesManager.id, action: 'delete', reason: 'x y z' })).status).toBe(400);
    expect((await remediate({ userId: DEMO_USERS.salesManager.id, action: 'block' })).status).toBe(400);
  });
});
