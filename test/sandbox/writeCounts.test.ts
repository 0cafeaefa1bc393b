import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { call, groupId, start, tenant, userId } from './helpers';

/** `GET /_sandbox/stats/writes`: the kill-and-re-run suite tells a write sent twice from more writes with it. */
describe('sandbox write counters', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    sb = await start(tenant({ users: 10, groups: [{ members: [userId(1)] }] }));
  });
  afterAll(async () => sb.close());

  it('counts writes per object and per bound member, refused ones included, reads not', async () => {
    await call(sb, 'POST', '/_sandbox/reset');
    const group = `/groups/${groupId(1)}`;
    const ref = (n: number) => `${sb.url}/v1.0/directoryObjects/${userId(n)}`;
    await call(sb, 'PATCH', group, { body: { 'members@odata.bind': [ref(2), ref(3)] } });
    // Already a member: Graph refuses it, and it still counts as sent for member 3.
    expect((await call(sb, 'POST', `${group}/members/$ref`, { body: { '@odata.id': ref(3) } })).status).toBe(400);
    await call(sb, 'DELETE', `${group}/members/${userId(1)}/$ref`);
    await call(sb, 'GET', `${group}/members`);
    await call(sb, 'POST', '/$batch', {
      body: {
        requests: [
          {
            id: '1',
            method: 'PATCH',
            url: `/users/${userId(4)}`,
            body: { accountEnabled: false },
            headers: { 'content-type': 'application/json' },
          },
        ],
      },
    });
    const writes = (await call(sb, 'GET', '/_sandbox/stats/writes')).body;
    expect(writes).toEqual({
      [`PATCH ${group} +${userId(2)}`]: 1,
      [`PATCH ${group} +${userId(3)}`]: 1,
      [`POST ${group}/members/$ref +${userId(3)}`]: 1,
      [`DELETE ${group}/members/${userId(1)}/$ref`]: 1,
      [`PATCH /users/${userId(4)}`]: 1,
    });
    await call(sb, 'POST', '/_sandbox/stats/reset');
    expect((await call(sb, 'GET', '/_sandbox/stats/writes')).body).toEqual({});
  });
});
