import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, errorCode, groupId, items, type Obj, start, tenant, userId } from './helpers';

interface Round {
  objects: Obj[];
  deltaLink: string;
  pages: number;
}

async function round(sb: GraphSandbox, first: string): Promise<Round> {
  const objects: Obj[] = [];
  let next: string | undefined = first;
  let pages = 0;
  for (;;) {
    const r = await call(sb, 'GET', next);
    expect(r.status).toBe(200);
    pages++;
    objects.push(...items(r.body));
    const deltaLink = at(r.body, '@odata.deltaLink') as string | undefined;
    if (deltaLink) return { objects, deltaLink, pages };
    next = at(r.body, '@odata.nextLink') as string;
    expect(next).toContain('$skiptoken=');
  }
}

/** Merges the slices of members@delta per group id. */
function membersById(objects: Obj[]): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const o of objects) {
    const list = out.get(o.id as string) ?? [];
    list.push(...((o['members@delta'] as Obj[] | undefined) ?? []));
    out.set(o.id as string, list);
  }
  return out;
}

describe('sandbox groups/delta', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    const big = Array.from({ length: 2500 }, (_, i) => userId(i + 1));
    sb = await start(tenant({ users: 2600, groups: [{ members: big }, { members: [userId(1), userId(2)] }, { members: [] }] }));
  });
  afterAll(async () => sb.close());

  it('returns all groups with current members, splitting big member lists over pages', async () => {
    const r = await round(sb, '/groups/delta?$select=displayName,members');
    expect(r.pages).toBeGreaterThan(2);
    const members = membersById(r.objects);
    expect(members.get(groupId(1))).toHaveLength(2500);
    expect(r.objects.filter((o) => o.id === groupId(1)).length).toBeGreaterThan(1);
    expect(
      members
        .get(groupId(2))
        ?.map((m) => m.id)
        .sort(),
    ).toEqual([userId(1), userId(2)]);
    expect(members.get(groupId(1))?.[0]).toEqual({ '@odata.type': '#microsoft.graph.user', id: userId(1) });
    expect(r.objects.find((o) => o.id === groupId(3))?.displayName).toBe('Group 3');
  });

  it('returns only the changes since the deltaLink: adds, removes, deleted groups', async () => {
    const first = await round(sb, `/groups/delta?$select=members&$filter=id eq '${groupId(2)}' or id eq '${groupId(3)}'`);
    expect(first.objects.map((o) => o.id).sort()).toEqual([groupId(2), groupId(3)]);

    const empty = await round(sb, first.deltaLink);
    expect(empty.objects).toEqual([]);

    await call(sb, 'POST', `/groups/${groupId(2)}/members/$ref`, {
      body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId(9)}` },
    });
    await call(sb, 'DELETE', `/groups/${groupId(2)}/members/${userId(1)}/$ref`);
    await call(sb, 'POST', `/groups/${groupId(1)}/members/$ref`, {
      body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId(2599)}` },
    });
    await call(sb, 'DELETE', `/groups/${groupId(3)}`);

    const second = await round(sb, empty.deltaLink);
    const g2 = second.objects.find((o) => o.id === groupId(2));
    expect(g2?.['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: userId(9) },
      { '@odata.type': '#microsoft.graph.user', id: userId(1), '@removed': { reason: 'deleted' } },
    ]);
    expect(second.objects.find((o) => o.id === groupId(3))).toEqual({ id: groupId(3), '@removed': { reason: 'changed' } });
    // Group 1 is outside the $filter kept in the token.
    expect(second.objects.some((o) => o.id === groupId(1))).toBe(false);

    const third = await round(sb, second.deltaLink);
    expect(third.objects).toEqual([]);
  });

  it('reports a removed user when the user object is deleted', async () => {
    const first = await round(sb, `/groups/delta?$expand=members&$filter=id eq '${groupId(1)}'`);
    await call(sb, 'DELETE', `/users/${userId(5)}`);
    const second = await round(sb, first.deltaLink);
    expect(second.objects).toHaveLength(1);
    expect(second.objects[0]?.['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: userId(5), '@removed': { reason: 'deleted' } },
    ]);
  });

  it('answers 410 syncStateNotFound for an unknown token', async () => {
    const r = await call(sb, 'GET', '/groups/delta?$deltatoken=not-a-token');
    expect(r.status).toBe(410);
    expect(errorCode(r)).toBe('syncStateNotFound');
  });

  it('answers 410 for tokens issued before the tenant was replaced', async () => {
    const first = await round(sb, '/groups/delta?$select=id&$filter=id eq ' + `'${groupId(2)}'`);
    const current = await call(sb, 'GET', '/_sandbox/tenant');
    expect((await call(sb, 'POST', '/_sandbox/tenant', { body: current.body })).status).toBe(204);
    const gone = await call(sb, 'GET', first.deltaLink);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('location')).toBe(`${sb.url}/v1.0/groups/delta?$select=id&$filter=id+eq+%27${groupId(2)}%27`);
  });

  it('refuses $filter with more than 50 ids or other clauses', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => `id eq '${groupId(i + 1)}'`).join(' or ');
    expect((await call(sb, 'GET', `/groups/delta?$filter=${encodeURIComponent(ids)}`)).status).toBe(400);
    expect((await call(sb, 'GET', "/groups/delta?$filter=displayName eq 'x'")).status).toBe(400);
  });
});
