import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, collectAll, deviceId, errorCode, groupId, items, type Obj, start, tenant, userId } from './helpers';

const ref = (id: string): { '@odata.id': string } => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });
const bind = (ids: string[]): { 'members@odata.bind': string[] } => ({
  'members@odata.bind': ids.map((id) => `https://graph.microsoft.com/v1.0/directoryObjects/${id}`),
});

const SP_ID = '30000000-0000-0000-0000-000000000001';

describe('sandbox groups and membership', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    const t = tenant({
      users: 60,
      groups: [
        { members: [userId(1), userId(2), groupId(2), deviceId(1)] }, // 1: parent with nested group 2
        { members: [userId(3), userId(4), userId(1)] }, // 2: nested
        {
          members: [],
          extra: {
            groupTypes: ['DynamicMembership'],
            membershipRule: '(user.department -eq "x")',
            membershipRuleProcessingState: 'On',
          },
        }, // 3
        { members: [], extra: { onPremisesSyncEnabled: true } }, // 4
        { members: [], extra: { mailEnabled: true, securityEnabled: true } }, // 5
        { members: [] }, // 6: write target
        { members: Array.from({ length: 50 }, (_, i) => userId(i + 1)) }, // 7: big
        { members: [userId(5), SP_ID] }, // 8: with a service principal
      ],
      extra: {
        devices: [{ id: deviceId(1), deviceId: 'd1', displayName: 'Laptop', accountEnabled: true }],
        servicePrincipals: [{ id: SP_ID, appId: '30000000-0000-0000-0000-0000000000aa', displayName: 'Inventory Sync' }],
      },
    });
    sb = await start(t);
  });
  afterAll(async () => sb.close());

  it('lists direct members with @odata.type and $select', async () => {
    const r = await call(sb, 'GET', `/groups/${groupId(1)}/members?$select=id,displayName`);
    expect(r.status).toBe(200);
    const value = items(r.body);
    expect(value.map((m) => m['@odata.type']).sort()).toEqual([
      '#microsoft.graph.device',
      '#microsoft.graph.group',
      '#microsoft.graph.user',
      '#microsoft.graph.user',
    ]);
    expect(Object.keys(value[0] ?? {}).sort()).toEqual(['@odata.type', 'displayName', 'id']);
  });

  it('omits service principals from v1.0 members (known issue) while the cast and group delta report them', async () => {
    const members = await call(sb, 'GET', `/groups/${groupId(8)}/members?$select=id`);
    expect(items(members.body).map((m) => m.id)).toEqual([userId(5)]);
    const cast = await call(sb, 'GET', `/groups/${groupId(8)}/members/microsoft.graph.servicePrincipal?$select=id`);
    expect(items(cast.body).map((m) => m.id)).toEqual([SP_ID]);
    const delta = await call(sb, 'GET', `/groups/delta?$filter=id eq '${groupId(8)}'&$select=members`);
    const reported = items(delta.body).flatMap((g) => (g['members@delta'] as Obj[] | undefined) ?? []);
    expect(reported.map((m) => m.id).sort()).toEqual([userId(5), SP_ID].sort());
  });

  it('lists transitive members once each, nested groups included', async () => {
    const r = await call(sb, 'GET', `/groups/${groupId(1)}/transitiveMembers?$select=id`);
    const ids = items(r.body).map((m) => m.id);
    expect(ids.sort()).toEqual([userId(1), userId(2), userId(3), userId(4), groupId(2), deviceId(1)].sort());
  });

  it('casts members to users and counts with ConsistencyLevel', async () => {
    const cast = await call(sb, 'GET', `/groups/${groupId(1)}/transitiveMembers/microsoft.graph.user?$count=true&$select=id`, {
      headers: { ConsistencyLevel: 'eventual' },
    });
    expect(cast.status).toBe(200);
    expect(at(cast.body, '@odata.count')).toBe(4);
    const noHeader = await call(sb, 'GET', `/groups/${groupId(1)}/transitiveMembers/microsoft.graph.user`);
    expect(noHeader.status).toBe(400);
    const count = await call(sb, 'GET', `/groups/${groupId(7)}/members/$count`, { headers: { ConsistencyLevel: 'eventual' } });
    expect(count.body).toBe('50');
    expect(count.headers.get('content-type')).toContain('text/plain');
  });

  it('pages members with $top and follows nextLinks', async () => {
    const { values, pages } = await collectAll(sb, `/groups/${groupId(7)}/members?$top=20&$select=id`);
    expect(pages).toBe(3);
    expect(new Set(values.map((v) => v.id)).size).toBe(50);
  });

  it('refuses $top above 999', async () => {
    expect((await call(sb, 'GET', `/groups/${groupId(7)}/members?$top=1000`)).status).toBe(400);
  });

  it('filters groups by displayName, startswith and groupTypes/any', async () => {
    const eq = await call(sb, 'GET', "/groups?$filter=displayName eq 'group 6'&$select=id");
    expect(items(eq.body).map((g) => g.id)).toEqual([groupId(6)]);
    const dyn = await call(sb, 'GET', "/groups?$filter=groupTypes/any(c:c eq 'DynamicMembership')&$select=id");
    expect(items(dyn.body).map((g) => g.id)).toEqual([groupId(3)]);
    const sw = await call(sb, 'GET', "/groups?$filter=startswith(displayName,'Group')&$top=3");
    expect(items(sw.body)).toHaveLength(3);
    expect(at(sw.body, '@odata.nextLink')).toContain('$skiptoken=');
  });

  it('adds a member with $ref, then refuses the same add as already existing', async () => {
    expect((await call(sb, 'POST', `/groups/${groupId(6)}/members/$ref`, { body: ref(userId(10)) })).status).toBe(204);
    const again = await call(sb, 'POST', `/groups/${groupId(6)}/members/$ref`, { body: ref(userId(10)) });
    expect(again.status).toBe(400);
    expect(errorCode(again)).toBe('Request_BadRequest');
    expect(at(again.body, 'error', 'message')).toBe(
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
  });

  it('answers 404 for a $ref add of an unknown object', async () => {
    const r = await call(sb, 'POST', `/groups/${groupId(6)}/members/$ref`, { body: ref('99999999-0000-0000-0000-000000000000') });
    expect(r.status).toBe(404);
    expect(errorCode(r)).toBe('Request_ResourceNotFound');
  });

  it('removes a member with $ref; a second remove of an existing object is 400 "removed object references do not exist"', async () => {
    await call(sb, 'POST', `/groups/${groupId(6)}/members/$ref`, { body: ref(userId(11)) });
    expect((await call(sb, 'DELETE', `/groups/${groupId(6)}/members/${userId(11)}/$ref`)).status).toBe(204);
    const again = await call(sb, 'DELETE', `/groups/${groupId(6)}/members/${userId(11)}/$ref`);
    expect(again.status).toBe(400);
    expect(errorCode(again)).toBe('Request_BadRequest');
    expect(JSON.stringify(again.body)).toContain('One or more removed object references do not exist');
    const unknown = await call(sb, 'DELETE', `/groups/${groupId(6)}/members/99999999-0000-0000-0000-000000000000/$ref`);
    expect(unknown.status).toBe(404);
  });

  it('caps members@odata.bind at 20', async () => {
    const r = await call(sb, 'PATCH', `/groups/${groupId(6)}`, {
      body: bind(Array.from({ length: 21 }, (_, i) => userId(30 + i))),
    });
    expect(r.status).toBe(400);
  });

  it('applies members@odata.bind all-or-nothing', async () => {
    await call(sb, 'POST', `/groups/${groupId(6)}/members/$ref`, { body: ref(userId(20)) });
    const withExisting = await call(sb, 'PATCH', `/groups/${groupId(6)}`, { body: bind([userId(21), userId(20)]) });
    expect(withExisting.status).toBe(400);
    const withUnknown = await call(sb, 'PATCH', `/groups/${groupId(6)}`, {
      body: bind([userId(22), '99999999-0000-0000-0000-000000000001']),
    });
    expect(withUnknown.status).toBe(404);
    const members = items((await call(sb, 'GET', `/groups/${groupId(6)}/members?$select=id`)).body).map((m) => m.id);
    expect(members).not.toContain(userId(21));
    expect(members).not.toContain(userId(22));
    expect((await call(sb, 'PATCH', `/groups/${groupId(6)}`, { body: bind([userId(21), userId(22)]) })).status).toBe(204);
  });

  it('refuses membership writes to dynamic, synced and mail-enabled groups', async () => {
    const dyn = await call(sb, 'POST', `/groups/${groupId(3)}/members/$ref`, { body: ref(userId(1)) });
    expect(dyn.status).toBe(403);
    const synced = await call(sb, 'POST', `/groups/${groupId(4)}/members/$ref`, { body: ref(userId(1)) });
    expect(synced.status).toBe(400);
    expect(at(synced.body, 'error', 'message')).toContain('on-premises mastered');
    const mail = await call(sb, 'PATCH', `/groups/${groupId(5)}`, { body: bind([userId(1)]) });
    expect(mail.status).toBe(400);
    expect(at(mail.body, 'error', 'message')).toContain('mail-enabled');
  });

  it('lists memberOf and transitiveMemberOf of a user', async () => {
    const direct = items((await call(sb, 'GET', `/users/${userId(3)}/memberOf?$select=id`)).body).map((g) => g.id);
    expect(direct.sort()).toEqual([groupId(2), groupId(7)].sort());
    const all = items((await call(sb, 'GET', `/users/${userId(3)}/transitiveMemberOf?$select=id`)).body).map((g) => g.id);
    expect(all.sort()).toEqual([groupId(1), groupId(2), groupId(7)].sort());
  });

  it('creates and deletes a group', async () => {
    const created = await call(sb, 'POST', '/groups', {
      body: { displayName: 'New', mailEnabled: false, mailNickname: 'new', securityEnabled: true, ...bind([userId(1)]) },
    });
    expect(created.status).toBe(201);
    const id = at(created.body, 'id') as string;
    expect(items((await call(sb, 'GET', `/groups/${id}/members`)).body)).toHaveLength(1);
    expect((await call(sb, 'DELETE', `/groups/${id}`)).status).toBe(204);
    expect((await call(sb, 'GET', `/groups/${id}`)).status).toBe(404);
  });

  it('resolves getByIds with a types filter', async () => {
    const r = await call(sb, 'POST', '/directoryObjects/getByIds', {
      body: { ids: [userId(1), groupId(1), 'nope'], types: ['user'] },
    });
    expect(items(r.body).map((o) => [o.id, o['@odata.type']])).toEqual([[userId(1), '#microsoft.graph.user']]);
    const tooMany = await call(sb, 'POST', '/directoryObjects/getByIds', {
      body: { ids: Array.from({ length: 1001 }, (_, i) => String(i)) },
    });
    expect(tooMany.status).toBe(400);
  });
});
