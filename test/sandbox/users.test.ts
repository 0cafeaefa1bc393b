import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, collectAll, errorCode, items, start, tenant, userId } from './helpers';

describe('sandbox users', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    sb = await start(tenant({ users: 250, extra: { sponsors: { [userId(250)]: [userId(1), userId(2)] } } }));
  });
  afterAll(async () => sb.close());

  it('requires a bearer token', async () => {
    const r = await call(sb, 'GET', '/users', { token: null });
    expect(r.status).toBe(401);
    expect(errorCode(r)).toBe('InvalidAuthenticationToken');
    expect(at(r.body, 'error', 'innerError', 'request-id')).toBeTruthy();
  });

  it('pages users with nextLinks that keep the query', async () => {
    const { values, pages } = await collectAll(sb, '/users?$top=100&$select=id,accountEnabled');
    expect(values).toHaveLength(250);
    expect(pages).toBe(3);
    expect(new Set(values.map((u) => u.id)).size).toBe(250);
    expect(Object.keys(values[0] ?? {}).sort()).toEqual(['accountEnabled', 'id']);
  });

  it('returns the default property set without $select', async () => {
    const r = await call(sb, 'GET', `/users/${userId(1)}`);
    expect(at(r.body, 'userPrincipalName')).toBe('user1@contoso.test');
    expect(r.body).not.toHaveProperty('accountEnabled');
  });

  it('gets a user by UPN case-insensitively', async () => {
    const r = await call(sb, 'GET', '/users/USER7@Contoso.TEST?$select=id');
    expect(r.status).toBe(200);
    expect(at(r.body, 'id')).toBe(userId(7));
  });

  it('filters with startswith and eq', async () => {
    const r = await call(
      sb,
      'GET',
      "/users?$filter=startswith(displayName,'user 1') and accountEnabled eq true&$select=id&$top=999",
    );
    expect(r.status).toBe(200);
    expect(items(r.body)).toHaveLength(1 + 10 + 100 + 0);
  });

  it('refuses ne without ConsistencyLevel and accepts it with an advanced query', async () => {
    const bad = await call(sb, 'GET', "/users?$filter=displayName ne 'User 1'");
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('Request_UnsupportedQuery');
    const good = await call(sb, 'GET', "/users?$filter=displayName ne 'User 1'&$count=true&$top=5", {
      headers: { ConsistencyLevel: 'eventual' },
    });
    expect(good.status).toBe(200);
    expect(at(good.body, '@odata.count')).toBe(249);
  });

  it('rejects a syntax error in $filter with BadRequest', async () => {
    const r = await call(sb, 'GET', "/users?$filter=displayName eq 'x");
    expect(r.status).toBe(400);
    expect(errorCode(r)).toBe('BadRequest');
  });

  it('creates, patches, revokes and deletes a user', async () => {
    const created = await call(sb, 'POST', '/users', {
      body: {
        accountEnabled: true,
        displayName: 'New',
        mailNickname: 'new',
        userPrincipalName: 'new@contoso.test',
        passwordProfile: { password: 'x' },
      },
    });
    expect(created.status).toBe(201);
    const id = at(created.body, 'id') as string;
    const dup = await call(sb, 'POST', '/users', {
      body: {
        accountEnabled: true,
        displayName: 'New',
        mailNickname: 'new',
        userPrincipalName: 'NEW@contoso.test',
        passwordProfile: { password: 'x' },
      },
    });
    expect(dup.status).toBe(400);
    expect((await call(sb, 'PATCH', `/users/${id}`, { body: { accountEnabled: false } })).status).toBe(204);
    expect(at((await call(sb, 'GET', `/users/${id}?$select=accountEnabled`)).body, 'accountEnabled')).toBe(false);
    const revoke = await call(sb, 'POST', `/users/${id}/revokeSignInSessions`);
    expect(revoke.status).toBe(200);
    expect(at(revoke.body, 'value')).toBe(true);
    expect((await call(sb, 'DELETE', `/users/${id}`)).status).toBe(204);
    expect((await call(sb, 'GET', `/users/${id}`)).status).toBe(404);
  });

  it('answers 400 BadRequest for a body that is not JSON', async () => {
    const res = await fetch(`${sb.url}/v1.0/users`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
  });

  it('lists the sponsors of a user as directory objects', async () => {
    const r = await call(sb, 'GET', `/users/${userId(250)}/sponsors?$select=id,displayName`);
    expect(items(r.body)).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: userId(1), displayName: 'User 1' },
      { '@odata.type': '#microsoft.graph.user', id: userId(2), displayName: 'User 2' },
    ]);
  });

  it('answers 404 Request_ResourceNotFound for an unknown user', async () => {
    const r = await call(sb, 'GET', '/users/nobody@contoso.test');
    expect(r.status).toBe(404);
    expect(errorCode(r)).toBe('Request_ResourceNotFound');
  });
});
