import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, groupId, start, tenant, userId } from './helpers';

type Item = { id: string; status: number; headers: Record<string, string>; body?: unknown };
const responses = (body: unknown): Map<string, Item> => new Map((at(body, 'responses') as Item[]).map((r) => [r.id, r]));

describe('sandbox $batch', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    sb = await start(tenant({ users: 10, groups: [{ members: [userId(1)] }] }));
  });
  afterAll(async () => sb.close());
  beforeEach(async () => {
    await call(sb, 'POST', '/_sandbox/reset');
    await call(sb, 'POST', '/_sandbox/knobs', { body: { throttling: { enabled: false, tenantSize: 'auto' } } });
  });

  it('runs items with or without the /v1.0 prefix and returns per-item status, headers and body', async () => {
    const r = await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/users/${userId(1)}?$select=id` },
          { id: '2', method: 'GET', url: `/v1.0/groups/${groupId(1)}/members` },
          { id: '3', method: 'GET', url: '/users/unknown@x.test' },
        ],
      },
    });
    expect(r.status).toBe(200);
    const byId = responses(r.body);
    expect(byId.get('1')?.status).toBe(200);
    expect(at(byId.get('1')?.body, 'id')).toBe(userId(1));
    expect(byId.get('2')?.status).toBe(200);
    expect(byId.get('3')?.status).toBe(404);
    expect(byId.get('1')?.headers['content-type']).toContain('application/json');
  });

  it('refuses more than 20 requests and duplicate ids', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));
    expect((await call(sb, 'POST', '/$batch', { body: { requests: many } })).status).toBe(400);
    const dup = [
      { id: '1', method: 'GET', url: '/users' },
      { id: '1', method: 'GET', url: '/groups' },
    ];
    expect((await call(sb, 'POST', '/$batch', { body: { requests: dup } })).status).toBe(400);
  });

  it('refuses a batch that mixes dependsOn items with independent ones, as Graph does', async () => {
    const r = await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/users' },
          { id: '2', method: 'GET', url: '/groups', dependsOn: ['1'] },
          { id: '3', method: 'GET', url: '/users' },
          { id: '4', method: 'GET', url: '/groups', dependsOn: ['3'] },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('Batch should be either fully sequential or fully parallel');
    const fanOut = await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/users' },
          { id: '2', method: 'GET', url: '/groups', dependsOn: ['1'] },
          { id: '3', method: 'GET', url: '/users', dependsOn: ['1'] },
        ],
      },
    });
    expect(fanOut.status).toBe(200);
  });

  it('answers 424 for dependents of a failed item', async () => {
    const r = await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          {
            id: '1',
            method: 'POST',
            url: `/groups/${groupId(1)}/members/$ref`,
            headers: { 'Content-Type': 'application/json' },
            body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId(1)}` },
          },
          { id: '2', method: 'GET', url: '/users', dependsOn: ['1'] },
          { id: '3', method: 'GET', url: '/groups', dependsOn: ['2'] },
        ],
      },
    });
    const byId = responses(r.body);
    expect(byId.get('1')?.status).toBe(400);
    expect(byId.get('2')?.status).toBe(424);
    expect(byId.get('3')?.status).toBe(424);
  });

  it('throttles items individually, each 429 with its own Retry-After', async () => {
    // timeScale 0.01 stretches the 10 s window so refill is negligible; transitiveMembers costs 5 RU, so the S budget
    // (3,500 RU) runs out after 700 items (35 batches).
    await call(sb, 'POST', '/_sandbox/knobs', { body: { timeScale: 0.01, throttling: { enabled: true, tenantSize: 'S' } } });
    let throttledItem: Item | undefined;
    for (let i = 0; i < 40 && !throttledItem; i++) {
      const requests = Array.from({ length: 20 }, (_, k) => ({
        id: String(k),
        method: 'GET',
        url: `/groups/${groupId(1)}/transitiveMembers`,
      }));
      const r = await call(sb, 'POST', '/$batch', { body: { requests } });
      expect(r.status).toBe(200);
      throttledItem = [...responses(r.body).values()].find((x) => x.status === 429);
    }
    expect(throttledItem).toBeDefined();
    expect(Number(throttledItem?.headers['Retry-After'])).toBeGreaterThan(0);
    const stats = await call(sb, 'GET', '/_sandbox/stats');
    expect(at(stats.body, 'throttled')).toBeGreaterThan(0);
    expect(at(stats.body, 'byRouteInBatch', 'GET /groups/{id}/transitiveMembers')).toBeGreaterThan(100);
  });

  it('counts batch items by route template in byRouteInBatch and the batch in byRoute', async () => {
    await call(sb, 'POST', '/_sandbox/stats/reset');
    await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          { id: 'a', method: 'GET', url: `/users/${userId(2)}` },
          {
            id: 'b',
            method: 'PATCH',
            url: `/groups/${groupId(1)}`,
            headers: { 'content-type': 'application/json' },
            body: { description: 'x' },
          },
        ],
      },
    });
    const stats = await call(sb, 'GET', '/_sandbox/stats');
    expect(stats.body).toEqual({
      requests: 1,
      subRequests: 2,
      throttled: 0,
      byRoute: { 'POST /$batch': 1 },
      byRouteInBatch: { 'GET /users/{id}': 1, 'PATCH /groups/{id}': 1 },
    });
  });

  it('applies batchItem fault rules to items only', async () => {
    await call(sb, 'POST', '/_sandbox/knobs', {
      body: { faults: [{ route: 'GET /users/{id}', kind: '503', times: 1, retryAfterSeconds: 2, scope: 'batchItem' }] },
    });
    expect((await call(sb, 'GET', `/users/${userId(1)}`)).status).toBe(200);
    const r = await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/users/${userId(1)}` },
          { id: '2', method: 'GET', url: `/users/${userId(2)}` },
        ],
      },
    });
    const statuses = [...responses(r.body).values()].map((x) => x.status).sort();
    expect(statuses).toEqual([200, 503]);
    const failed = [...responses(r.body).values()].find((x) => x.status === 503);
    expect(failed?.headers['Retry-After']).toBe('2');
  });
});
