import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, errorCode, items, start, tenant, userId } from './helpers';

describe('sandbox identity protection, conditional access and sign-in logs', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    const risky = (n: number, level: string, updated: string): { id: string } & Record<string, unknown> => ({
      id: userId(n),
      isDeleted: false,
      isProcessing: false,
      riskLastUpdatedDateTime: updated,
      riskLevel: level,
      riskState: 'atRisk',
      riskDetail: 'none',
      userDisplayName: `User ${n}`,
      userPrincipalName: `user${n}@contoso.test`,
    });
    const signIn = (
      id: string,
      n: number,
      created: string,
      errorCode: number,
    ): { id: string; createdDateTime: string } & Record<string, unknown> => ({
      id,
      createdDateTime: created,
      userId: userId(n),
      userPrincipalName: `user${n}@contoso.test`,
      correlationId: `corr-${id}`,
      status: { errorCode, failureReason: errorCode === 0 ? null : 'blocked', additionalDetails: null },
    });
    sb = await start(
      tenant({
        users: 5,
        extra: {
          riskyUsers: [
            risky(1, 'high', '2026-11-20T10:00:00Z'),
            risky(2, 'medium', '2026-11-22T10:00:00Z'),
            risky(3, 'low', '2026-11-24T10:00:00Z'),
          ],
          riskDetections: [
            {
              id: 'd1',
              userId: userId(1),
              detectedDateTime: '2026-11-20T09:00:00Z',
              lastUpdatedDateTime: '2026-11-20T09:00:00Z',
              riskEventType: 'unfamiliarFeatures',
            },
            {
              id: 'd2',
              userId: userId(2),
              detectedDateTime: '2026-11-22T09:00:00Z',
              lastUpdatedDateTime: '2026-11-22T09:00:00Z',
              riskEventType: 'anonymizedIPAddress',
            },
          ],
          signIns: [
            signIn('s1', 1, '2026-11-20T08:00:00Z', 0),
            signIn('s2', 1, '2026-11-21T08:00:00Z', 53003),
            signIn('s3', 2, '2026-11-22T08:00:00Z', 53000),
          ],
        },
      }),
      { timeScale: 100 },
    );
  });
  afterAll(async () => sb.close());

  it('filters risky users by riskLevel and riskLastUpdatedDateTime', async () => {
    const high = await call(sb, 'GET', "/identityProtection/riskyUsers?$filter=riskLevel eq 'high'");
    expect(items(high.body).map((r) => r.id)).toEqual([userId(1)]);
    const recent = await call(
      sb,
      'GET',
      '/identityProtection/riskyUsers?$filter=riskLastUpdatedDateTime ge 2026-11-22T00:00:00Z',
    );
    expect(
      items(recent.body)
        .map((r) => r.id)
        .sort(),
    ).toEqual([userId(2), userId(3)]);
  });

  it('dismisses and confirms risky users', async () => {
    expect((await call(sb, 'POST', '/identityProtection/riskyUsers/dismiss', { body: { userIds: [userId(1)] } })).status).toBe(
      204,
    );
    const dismissed = await call(sb, 'GET', `/identityProtection/riskyUsers/${userId(1)}`);
    expect(dismissed.body).toMatchObject({
      riskState: 'dismissed',
      riskDetail: 'adminDismissedAllRiskForUser',
      riskLevel: 'none',
    });
    expect(
      (await call(sb, 'POST', '/identityProtection/riskyUsers/confirmCompromised', { body: { userIds: [userId(3)] } })).status,
    ).toBe(204);
    expect((await call(sb, 'GET', `/identityProtection/riskyUsers/${userId(3)}`)).body).toMatchObject({
      riskState: 'confirmedCompromised',
      riskLevel: 'high',
    });
    expect((await call(sb, 'POST', '/identityProtection/riskyUsers/dismiss', { body: {} })).status).toBe(400);
  });

  it('filters risk detections by time and user', async () => {
    const r = await call(
      sb,
      'GET',
      `/identityProtection/riskDetections?$filter=detectedDateTime gt 2026-11-21T00:00:00Z and userId eq '${userId(2)}'`,
    );
    expect(items(r.body).map((d) => d.id)).toEqual(['d2']);
  });

  it('lists sign-ins newest first and filters on status/errorCode', async () => {
    const all = await call(sb, 'GET', '/auditLogs/signIns');
    expect(items(all.body).map((s) => s.id)).toEqual(['s3', 's2', 's1']);
    const blocked = await call(sb, 'GET', `/auditLogs/signIns?$filter=status/errorCode eq 53003 and userId eq '${userId(1)}'`);
    expect(items(blocked.body).map((s) => s.id)).toEqual(['s2']);
    const since = await call(sb, 'GET', '/auditLogs/signIns?$filter=createdDateTime ge 2026-11-21T00:00:00Z&$top=1');
    expect(items(since.body).map((s) => s.id)).toEqual(['s3']);
    expect(at(since.body, '@odata.nextLink')).toBeDefined();
    expect((await call(sb, 'GET', '/auditLogs/signIns?$top=1001')).status).toBe(400);
  });

  it('creates, patches (deep merge), reads and deletes a conditional access policy', async () => {
    const created = await call(sb, 'POST', '/identity/conditionalAccess/policies', {
      body: {
        displayName: 'Block legacy',
        state: 'enabledForReportingButNotEnforced',
        conditions: {
          users: { includeUsers: ['All'], excludeUsers: [] },
          applications: { includeApplications: ['All'] },
          clientAppTypes: ['exchangeActiveSync', 'other'],
        },
        grantControls: { operator: 'OR', builtInControls: ['block'] },
      },
    });
    expect(created.status).toBe(201);
    const id = at(created.body, 'id') as string;
    expect(at(created.body, 'createdDateTime')).toBeTruthy();
    expect(at(created.body, 'modifiedDateTime')).toBeNull();
    expect(at(created.body, 'sessionControls')).toBeNull();
    expect(at(created.body, 'conditions', 'users', 'includeGroups')).toEqual([]);
    expect(
      (
        await call(sb, 'PATCH', `/identity/conditionalAccess/policies/${id}`, {
          body: { conditions: { users: { excludeUsers: [userId(1)] } } },
        })
      ).status,
    ).toBe(204);
    const got = await call(sb, 'GET', `/identity/conditionalAccess/policies/${id}`);
    expect(at(got.body, 'conditions', 'users')).toMatchObject({ includeUsers: ['All'], excludeUsers: [userId(1)] });
    expect(at(got.body, 'conditions', 'clientAppTypes')).toEqual(['exchangeActiveSync', 'other']);
    expect(Date.parse(at(got.body, 'modifiedDateTime') as string)).toBeGreaterThanOrEqual(
      Date.parse(at(created.body, 'createdDateTime') as string),
    );
    expect((await call(sb, 'DELETE', `/identity/conditionalAccess/policies/${id}`)).status).toBe(204);
    expect(errorCode(await call(sb, 'GET', `/identity/conditionalAccess/policies/${id}`))).toBe('Request_ResourceNotFound');
  });

  it('requires @odata.type for named locations', async () => {
    expect(
      (await call(sb, 'POST', '/identity/conditionalAccess/namedLocations', { body: { displayName: 'x', ipRanges: [] } })).status,
    ).toBe(400);
    const ok = await call(sb, 'POST', '/identity/conditionalAccess/namedLocations', {
      body: {
        '@odata.type': '#microsoft.graph.ipNamedLocation',
        displayName: 'Office',
        isTrusted: true,
        ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '10.0.0.0/8' }],
      },
    });
    expect(ok.status).toBe(201);
    expect(items((await call(sb, 'GET', '/identity/conditionalAccess/namedLocations')).body)).toHaveLength(1);
  });
});
