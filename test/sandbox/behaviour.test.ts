import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { type GraphSandbox, startGraphSandbox } from '../../local/sandbox/index';
import { at, call, groupId, start, tenant, userId } from './helpers';

describe('sandbox knobs: throttling, faults, eventual consistency, control routes', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    sb = await start(tenant({ users: 10, groups: [{ members: [userId(1)] }] }));
  });
  afterAll(async () => sb.close());
  beforeEach(async () => {
    await call(sb, 'POST', '/_sandbox/reset');
  });

  it('sends x-ms-resource-unit with the documented cost and modifiers', async () => {
    expect((await call(sb, 'GET', `/groups/${groupId(1)}/transitiveMembers`)).headers.get('x-ms-resource-unit')).toBe('5');
    expect((await call(sb, 'GET', `/groups/${groupId(1)}/members?$select=id`)).headers.get('x-ms-resource-unit')).toBe('2');
    expect((await call(sb, 'GET', '/users?$select=id&$top=5')).headers.get('x-ms-resource-unit')).toBe('1');
  });

  it('throttles a burst over the resource-unit budget with Retry-After and scope headers', async () => {
    // timeScale 0.01 stretches the 10 s window to 1,000 s, so refill during the test is negligible (3.5 RU/s).
    await call(sb, 'POST', '/_sandbox/knobs', { body: { timeScale: 0.01, throttling: { enabled: true, tenantSize: 'S' } } });
    // S tenant: 3,500 RU; transitiveMembers costs 5 RU, so 700 items drain it.
    const requests = Array.from({ length: 20 }, (_, k) => ({
      id: String(k),
      method: 'GET',
      url: `/groups/${groupId(1)}/transitiveMembers`,
    }));
    for (let i = 0; i < 35; i++) await call(sb, 'POST', '/$batch', { body: { requests } });
    const burst = await Promise.all(Array.from({ length: 10 }, () => call(sb, 'GET', `/groups/${groupId(1)}/transitiveMembers`)));
    const throttled = burst.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(5);
    const first = throttled[0]!;
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(first.headers.get('x-ms-throttle-scope')).toMatch(/^Tenant_Application\/ReadWrite\/[0-9a-f-]{36}\/aaaaaaaa-/);
    expect(first.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    expect(at(first.body, 'error', 'code')).toBe('TooManyRequests');
    expect(at(first.body, 'error', 'innerError', 'status')).toBe('429');
    // Budgets are per app: another token is not throttled.
    expect((await call(sb, 'GET', `/groups/${groupId(1)}/transitiveMembers`, { token: 'app-two' })).status).toBe(200);
  });

  it('throttles conditional access at 1 request per second without Retry-After', async () => {
    const [a, b] = await Promise.all([
      call(sb, 'GET', '/identity/conditionalAccess/policies'),
      call(sb, 'GET', '/identity/conditionalAccess/policies', { token: 'other-app' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
    const limited = a.status === 429 ? a : b;
    expect(limited.headers.get('retry-after')).toBeNull();
  });

  it('allows 5 sign-in log reads per 10 s per app', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(sb, 'GET', '/auditLogs/signIns')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('scales Retry-After by timeScale', async () => {
    // 5 requests per 10 s become 5 per 1 s at timeScale 10: one token refills every 0.2 s.
    await call(sb, 'POST', '/_sandbox/knobs', { body: { timeScale: 10 } });
    const burst = await Promise.all(Array.from({ length: 12 }, () => call(sb, 'GET', '/auditLogs/signIns')));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(1);
  });

  it('injects count-based faults per route and then stops', async () => {
    await call(sb, 'POST', '/_sandbox/knobs', {
      body: { faults: [{ route: 'GET /users/{id}', kind: '429', times: 2, retryAfterSeconds: 1.5 }] },
    });
    const a = await call(sb, 'GET', `/users/${userId(1)}`);
    const b = await call(sb, 'GET', `/users/${userId(1)}`);
    const c = await call(sb, 'GET', `/users/${userId(1)}`);
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.headers.get('retry-after')).toBe('1.5');
    expect((await call(sb, 'GET', '/users')).status).toBe(200);
    expect(at((await call(sb, 'GET', '/_sandbox/stats')).body, 'throttled')).toBe(2);
  });

  it('resets the socket for a reset fault', async () => {
    await call(sb, 'POST', '/_sandbox/knobs', { body: { faults: [{ kind: 'reset', times: 1 }] } });
    await expect(call(sb, 'GET', '/users')).rejects.toThrow();
    expect((await call(sb, 'GET', '/users')).status).toBe(200);
  });

  it('hides new objects by id and as member references until the consistency delay passes', async () => {
    await call(sb, 'POST', '/_sandbox/knobs', { body: { eventualConsistencyMs: 300 } });
    const created = await call(sb, 'POST', '/users', {
      body: {
        accountEnabled: true,
        displayName: 'Late',
        mailNickname: 'late',
        userPrincipalName: 'late@contoso.test',
        passwordProfile: { password: 'p' },
      },
    });
    const id = at(created.body, 'id') as string;
    expect((await call(sb, 'GET', `/users/${id}`)).status).toBe(404);
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` };
    expect((await call(sb, 'POST', `/groups/${groupId(1)}/members/$ref`, { body: ref })).status).toBe(404);
    const deadline = Date.now() + 5_000;
    let status = 404;
    while (status === 404 && Date.now() < deadline) {
      status = (await call(sb, 'GET', `/users/${id}`)).status;
      if (status === 404) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(200);
    expect((await call(sb, 'POST', `/groups/${groupId(1)}/members/$ref`, { body: ref })).status).toBe(204);
  });

  it('counts requests by route template', async () => {
    await call(sb, 'GET', `/users/${userId(1)}`);
    await call(sb, 'GET', '/users/user2@contoso.test');
    await call(sb, 'DELETE', `/groups/${groupId(1)}/members/${userId(1)}/$ref`);
    await call(sb, 'GET', '/users', { token: null });
    const stats = await call(sb, 'GET', '/_sandbox/stats');
    expect(stats.body).toMatchObject({
      requests: 4,
      subRequests: 0,
      byRoute: { 'GET /users/{id}': 2, 'DELETE /groups/{id}/members/{id}/$ref': 1, 'GET /users': 1 },
    });
  });

  it('validates knobs and round-trips the tenant through the control routes', async () => {
    expect((await call(sb, 'POST', '/_sandbox/knobs', { body: { timeScale: 0 } })).status).toBe(400);
    const knobs = await call(sb, 'POST', '/_sandbox/knobs', { body: { latencyMs: { min: 1, max: 2 } } });
    expect(knobs.body).toMatchObject({
      latencyMs: { min: 1, max: 2 },
      timeScale: 1,
      throttling: { enabled: true, tenantSize: 'auto' },
    });
    const exported = await call(sb, 'GET', '/_sandbox/tenant');
    expect(at(exported.body, 'groups', 0, 'members')).toEqual([userId(1)]);
    expect((await call(sb, 'POST', '/_sandbox/tenant', { body: { tenant: {} } })).status).toBe(400);
  });

  it('fails to start without a tenant when the demo tenant is missing, naming the file', async () => {
    const { existsSync } = await import('node:fs');
    if (existsSync('local/tenants/demo.json')) {
      const demo = await startGraphSandbox();
      await demo.close();
      return;
    }
    await expect(startGraphSandbox()).rejects.toThrow(/demo\.json/);
  });
});
