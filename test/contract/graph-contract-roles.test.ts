/**
 * Contract tests for directory roles: the sandbox answers the documented examples of
 * roleManagement/directory/roleAssignments and directoryRoles (test/fixtures/graph/*.json) with the documented status
 * and shape, and refuses what those pages say Graph refuses. Same method as graph-contract.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, startGraphSandbox, type TenantFile } from '../../local/sandbox';
import { compareShape, formatDifferences } from './shape';

interface Fixture {
  docPage: string;
  request: { method: string; url: string };
  response: { status: number; body: { value: Record<string, unknown>[] } };
}

const GRAPH = 'https://graph.microsoft.com/v1.0';
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/graph', `${name}.json`), 'utf8')) as Fixture;

let sandbox: GraphSandbox;

async function load(t: Omit<TenantFile, 'tenant'>): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/tenant`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tenant: { id: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35', displayName: 'Contoso', defaultDomain: 'contoso.com' },
      ...t,
    }),
  });
  expect(res.status).toBeLessThan(300);
}

async function get(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url.replace(GRAPH, `${sandbox.url}/v1.0`), { headers: { authorization: 'Bearer contract-tests' } });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

async function expectContract(f: Fixture, url = f.request.url): Promise<unknown> {
  const reply = await get(url);
  expect(reply.status, `${f.docPage}: ${reply.text.slice(0, 300)}`).toBe(f.response.status);
  expect(formatDifferences(compareShape(f.response.body, reply.body)), f.docPage).toBe('');
  return reply.body;
}

const user = (id: string, upn: string, extra: Record<string, unknown> = {}) => ({
  id,
  userPrincipalName: upn,
  displayName: upn.split('@')[0],
  accountEnabled: true,
  userType: 'Member',
  ...extra,
});

const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';

beforeAll(async () => {
  sandbox = await startGraphSandbox({ knobs: { throttling: { enabled: false, tenantSize: 'auto' } } });
});
afterAll(() => sandbox.close());

describe('Graph contract: roleManagement/directory/roleAssignments', () => {
  it('filters on principalId as documented, with Graph-format assignment ids', async () => {
    const f = fixture('roleassignments-list-filter-principal');
    const doc = f.response.body.value;
    const principal = String(doc[0]?.principalId);
    await load({
      users: [user(principal, 'admin@contoso.com'), user('5bde3e51-d13b-4db1-9948-fe4b109d11a7', 'other@contoso.com')],
      directoryRoleAssignments: doc.map((a) => ({ principalId: principal, roleDefinitionId: String(a.roleDefinitionId) })),
    });
    const body = (await expectContract(
      f,
      f.request.url.replace('5bde3e51-d13b-4db1-9948-fe4b109d11a7', principal),
    )) as Fixture['response']['body'];
    // The documented ids encode the role definition and principal; the sandbox derives them the same way.
    expect(body.value.map((a) => a.id).sort()).toEqual(doc.map((a) => a.id).sort());
    const none = (await get(f.request.url)) as { body: { value: unknown[] } };
    expect(none.body.value).toEqual([]);
  });

  it('expands the principal as documented', async () => {
    const f = fixture('roleassignments-list-expand-principal');
    const p = f.response.body.value[0]?.principal as Record<string, unknown>;
    const { '@odata.type': _type, ...props } = p;
    await load({
      users: [user(String(p.id), 'joeyc@contoso.com', props)],
      directoryRoleAssignments: [{ principalId: String(p.id), roleDefinitionId: GLOBAL_ADMIN, roleName: 'Global Administrator' }],
    });
    await expectContract(f);
  });

  it('refuses filters on other properties and operators other than eq, as Graph does', async () => {
    await load({ users: [user('ace08ec9-aa11-4ada-9145-addf0398233e', 'a@contoso.com')] });
    for (const filter of ["principal/displayName eq 'x'", "principalId ne 'x'", "startswith(principalId,'a')"]) {
      const reply = await get(`${GRAPH}/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(filter)}`);
      expect(reply.status, filter).toBe(400);
    }
    expect((await get(`${GRAPH}/roleManagement/directory/roleAssignments?$expand=members`)).status).toBe(400);
  });
});

describe('Graph contract: directoryRoles', () => {
  it('lists activated roles as documented, and refuses $filter (not supported on this list)', async () => {
    const f = fixture('directoryroles-list');
    await load({
      users: [user('ace08ec9-aa11-4ada-9145-addf0398233e', 'a@contoso.com')],
      directoryRoleAssignments: [
        { principalId: 'ace08ec9-aa11-4ada-9145-addf0398233e', roleDefinitionId: GLOBAL_ADMIN, roleName: 'Global Administrator' },
      ],
    });
    const body = (await expectContract(f)) as Fixture['response']['body'];
    expect(body.value).toMatchObject([{ displayName: 'Global Administrator', roleTemplateId: GLOBAL_ADMIN }]);
    expect(body.value[0]?.id).not.toBe(GLOBAL_ADMIN);
    expect(
      (await get(`${GRAPH}/directoryRoles?$filter=${encodeURIComponent(`roleTemplateId eq '${GLOBAL_ADMIN}'`)}`)).status,
    ).toBe(400);
  });

  it('lists a role by template id with its directly assigned members as documented', async () => {
    const f = fixture('directoryrole-list-members');
    const doc = f.response.body.value[0] ?? {};
    await load({
      users: [user('b7d8a2f0-1c2e-4e5e-9c1a-3f2b1d0e9a11', String(doc.userPrincipalName), doc)],
      directoryRoleAssignments: [
        {
          principalId: 'b7d8a2f0-1c2e-4e5e-9c1a-3f2b1d0e9a11',
          roleDefinitionId: '4a5d8f65-41da-4de4-8968-e035b65339cf',
          roleName: 'Reports Reader',
        },
      ],
    });
    await expectContract(f);
    const roles = (await get(`${GRAPH}/directoryRoles`)) as { body: { value: { id: string }[] } };
    const byId = await get(`${GRAPH}/directoryRoles/${roles.body.value[0]?.id}/members`);
    expect(byId.body).toMatchObject({ value: [{ userPrincipalName: doc.userPrincipalName }] });
    expect((await get(`${GRAPH}/directoryRoles/roleTemplateId=${GLOBAL_ADMIN}/members`)).status).toBe(404);
  });
});
