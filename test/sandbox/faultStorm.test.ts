import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, groupId, start, tenant, userId } from './helpers';

type Item = { id: string; status: number; headers: Record<string, string>; body?: unknown };
const ref = (n: number) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId(n)}` });
const members = async (sb: GraphSandbox): Promise<string[]> =>
  ((at((await call(sb, 'GET', `/groups/${groupId(1)}/members?$select=id`)).body, 'value') as { id: string }[]) ?? []).map(
    (m) => m.id,
  );

/** Sends `n` sequential GETs and returns each status, or 'reset' when the connection dropped. */
async function statuses(sb: GraphSandbox, n: number): Promise<(number | 'reset')[]> {
  const out: (number | 'reset')[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push((await call(sb, 'GET', `/users/${userId(1)}?$select=id`)).status);
    } catch {
      out.push('reset');
    }
  }
  return out;
}

// Sandbox fault storms (rate rules) and resets inside $batch. Hooks at file level keep each case a short function.
let sb: GraphSandbox;
beforeAll(async () => {
  sb = await start(tenant({ users: 10, groups: [{ members: [userId(1)] }] }));
});
afterAll(async () => sb.close());
beforeEach(async () => {
  await call(sb, 'POST', '/_sandbox/reset');
});

it('faults about the given share of requests, the same ones again for the same seed', async () => {
  const storm = {
    faultSeed: 42,
    faults: [
      { kind: '429', rate: 0.15, times: 1_000, retryAfterSeconds: 0.5 },
      { kind: '503', rate: 0.15, times: 1_000 },
    ],
  };
  await call(sb, 'POST', '/_sandbox/knobs', { body: storm });
  const first = await statuses(sb, 120);
  await call(sb, 'POST', '/_sandbox/knobs', { body: storm });
  const again = await statuses(sb, 120);
  expect(again).toEqual(first);
  const faulted = first.filter((s) => s !== 200).length;
  // 30% of 120 requests: 36 expected (sd 5); the seeded draw stays well within 20..52.
  expect(faulted).toBeGreaterThan(20);
  expect(faulted).toBeLessThan(52);
  expect(first.filter((s) => s === 429).length).toBeGreaterThan(5);
  expect(first.filter((s) => s === 503).length).toBeGreaterThan(5);

  await call(sb, 'POST', '/_sandbox/knobs', { body: { ...storm, faultSeed: 43 } });
  expect(await statuses(sb, 120)).not.toEqual(first);
});

it('counts injected faults in the rule and stops at `times`', async () => {
  await call(sb, 'POST', '/_sandbox/knobs', { body: { faults: [{ kind: '504', rate: 1, times: 3 }] } });
  expect(await statuses(sb, 5)).toEqual([504, 504, 504, 200, 200]);
  const knobs = (await call(sb, 'GET', '/_sandbox/knobs')).body;
  expect(at(knobs, 'faults', 0, 'times')).toBe(0);
});

it('sends 429 inside $batch with and without Retry-After', async () => {
  await call(sb, 'POST', '/_sandbox/knobs', {
    body: {
      faults: [
        { kind: '429', times: 1, scope: 'batchItem', retryAfterSeconds: 2 },
        { kind: '429', times: 1, scope: 'batchItem' },
      ],
    },
  });
  const r = await call(sb, 'POST', '/$batch', {
    body: {
      requests: [
        { id: '1', method: 'GET', url: `/users/${userId(1)}` },
        { id: '2', method: 'GET', url: `/users/${userId(2)}`, dependsOn: ['1'] },
        { id: '3', method: 'GET', url: `/users/${userId(3)}`, dependsOn: ['2'] },
      ],
    },
  });
  expect(r.status).toBe(200);
  const items = at(r.body, 'responses') as Item[];
  // Sequential items: the first 429 makes its dependents 424, so only item 1 draws a rule here.
  expect(items.map((i) => i.status)).toEqual([429, 424, 424]);
  expect(items[0]?.headers['Retry-After']).toBe('2');
  const r2 = await call(sb, 'POST', '/$batch', {
    body: { requests: [{ id: '1', method: 'GET', url: `/users/${userId(1)}` }] },
  });
  const item = (at(r2.body, 'responses') as Item[])[0];
  expect(item?.status).toBe(429);
  expect(item?.headers['Retry-After']).toBeUndefined();
  expect(at(item?.body, 'error', 'code')).toBe('TooManyRequests');
  expect(at((await call(sb, 'GET', '/_sandbox/stats')).body, 'throttled')).toBe(2);
});

it('drops the connection of a whole $batch when an item draws a reset, after every item ran', async () => {
  await call(sb, 'POST', '/_sandbox/knobs', {
    body: { faults: [{ route: 'POST /groups/{id}/members/$ref', kind: 'reset', times: 1, scope: 'batchItem' }] },
  });
  const batch = {
    requests: [2, 3].map((n) => ({
      id: String(n),
      method: 'POST',
      url: `/groups/${groupId(1)}/members/$ref`,
      headers: { 'content-type': 'application/json' },
      body: ref(n),
    })),
  };
  await expect(call(sb, 'POST', '/$batch', { body: batch })).rejects.toThrow();
  // The item that drew the reset was not applied; its sibling was, and the client never heard of it.
  expect((await members(sb)).length).toBe(2);
  // A top-level request is untouched by a batchItem rule.
  expect((await call(sb, 'GET', `/users/${userId(1)}`)).status).toBe(200);
});

it('loses the answer of an applied write inside $batch (when: after) and at top level', async () => {
  await call(sb, 'POST', '/_sandbox/knobs', {
    body: {
      faults: [
        { route: 'POST /groups/{id}/members/$ref', kind: '504', times: 1, scope: 'batchItem', when: 'after' },
        { route: 'POST /groups/{id}/members/$ref', kind: 'reset', times: 1, scope: 'topLevel', when: 'after' },
      ],
    },
  });
  const r = await call(sb, 'POST', '/$batch', {
    body: {
      requests: [
        {
          id: '1',
          method: 'POST',
          url: `/groups/${groupId(1)}/members/$ref`,
          headers: { 'content-type': 'application/json' },
          body: ref(2),
        },
      ],
    },
  });
  expect((at(r.body, 'responses') as Item[])[0]?.status).toBe(504);
  await expect(call(sb, 'POST', `/groups/${groupId(1)}/members/$ref`, { body: ref(3) })).rejects.toThrow();
  expect((await members(sb)).sort()).toEqual([userId(1), userId(2), userId(3)]);
  // The retry the client makes meets Graph's answer for a reference that already exists.
  const again = await call(sb, 'POST', `/groups/${groupId(1)}/members/$ref`, { body: ref(3) });
  expect(again.status).toBe(400);
});

it('refuses storm rules with a rate outside (0, 1] and a bad seed', async () => {
  for (const body of [
    { faults: [{ kind: '503', rate: 0, times: 1 }] },
    { faults: [{ kind: '503', rate: 1.5, times: 1 }] },
    { faultSeed: -1 },
  ]) {
    const res = await call(sb, 'POST', '/_sandbox/knobs', { body });
    expect(res.status).toBe(400);
    expect(at(res.body, 'error', 'code')).toBe('InvalidKnobs');
  }
});
