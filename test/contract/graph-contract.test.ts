/**
 * Contract tests: the Graph sandbox answers the documented Graph examples (test/fixtures/graph/*.json, copied from
 * microsoftgraph/microsoft-graph-docs-contrib) with the documented status and the same JSON shape. Each case loads a
 * tenant built from the fixture's own data, so the ids in the doc example exist, then sends the documented request
 * over HTTP. Values (ids, dates) may differ; property names and JSON types may not (see ./shape.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, startGraphSandbox, type TenantFile } from '../../local/sandbox';
import { compareShape, DEFAULT_OPTIONAL_KEYS, formatDifferences } from './shape';

interface FixtureRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Fixture {
  docPage: string;
  note?: string;
  request: FixtureRequest;
  response: { status: number; body?: unknown };
}

interface Reply {
  status: number;
  body: unknown;
  text: string;
}

type Json = Record<string, unknown>;

const FIXTURES = path.resolve(__dirname, '../fixtures/graph');
const GRAPH = 'https://graph.microsoft.com/v1.0';
const TOKEN = 'Bearer contract-tests';

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

function obj(value: unknown): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value as Json;
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`expected a JSON array, got ${JSON.stringify(value)}`);
  return value;
}

/** The documented body's `value` collection (list examples). */
function docValues(f: Fixture): Json[] {
  return list(obj(f.response.body).value).map(obj);
}

function tenant(collections: Omit<TenantFile, 'tenant'>): TenantFile {
  return {
    tenant: { id: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35', displayName: 'Contoso', defaultDomain: 'contoso.com' },
    ...collections,
  };
}

function user(id: string, userPrincipalName: string, extra: Json = {}): Json {
  return {
    id,
    userPrincipalName,
    displayName: userPrincipalName.split('@')[0],
    userType: 'Member',
    accountEnabled: true,
    ...extra,
  };
}

function group(id: string, displayName: string, members: string[], extra: Json = {}): Json {
  return {
    id,
    displayName,
    description: null,
    groupTypes: [],
    mailEnabled: false,
    mailNickname: displayName.replace(/\W/g, ''),
    securityEnabled: true,
    onPremisesSyncEnabled: null,
    members,
    ...extra,
  };
}

/** Replaces each `{placeholder}` in the text, in order, with the next id from `ids[placeholder]`. */
function fill(text: string, ids: Record<string, string[]>): string {
  const used: Record<string, number> = {};
  return text.replace(/\{([a-z-]+)\}/g, (match, key: string) => {
    const pool = ids[key];
    if (!pool) return match;
    const i = used[key] ?? 0;
    used[key] = i + 1;
    const id = pool[Math.min(i, pool.length - 1)];
    if (id === undefined) throw new Error(`no id for {${key}}`);
    return id;
  });
}

function fillJson(value: unknown, ids: Record<string, string[]>): unknown {
  return JSON.parse(fill(JSON.stringify(value), ids)) as unknown;
}

let sandbox: GraphSandbox;

async function loadTenant(t: TenantFile): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/tenant`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(t),
  });
  if (res.status >= 300) throw new Error(`loading the tenant failed: ${res.status} ${await res.text()}`);
}

/** Sends a request written against https://graph.microsoft.com/v1.0 (or an absolute sandbox link) to the sandbox. */
async function send(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
  const target = url.startsWith(GRAPH) ? `${sandbox.url}/v1.0${url.slice(GRAPH.length)}` : url;
  const init: RequestInit = { method, headers: { Authorization: TOKEN, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json', ...init.headers };
  }
  const res = await fetch(target, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, text };
}

async function sendFixture(
  f: Fixture,
  rewrite: (url: string) => string = (u) => u,
  body: unknown = f.request.body,
): Promise<Reply> {
  return send(f.request.method, rewrite(f.request.url), f.request.headers, body);
}

/** Status and shape against the doc; on failure the message lists every difference. */
function expectContract(
  f: Fixture,
  reply: Reply,
  expectedBody: unknown = f.response.body,
  optionalKeys: readonly string[] = DEFAULT_OPTIONAL_KEYS,
): void {
  expect(reply.status, `${f.docPage}: status (body: ${reply.text.slice(0, 400)})`).toBe(f.response.status);
  if (expectedBody === undefined) {
    expect(reply.text, `${f.docPage}: a ${f.response.status} carries no body`).toBe('');
    return;
  }
  expect(formatDifferences(compareShape(expectedBody, reply.body, { optionalKeys })), `${f.docPage}: shape differences`).toBe('');
}

async function followDelta(first: Reply): Promise<{ pages: Json[]; deltaLink: string }> {
  const pages: Json[] = [];
  let reply = first;
  for (let i = 0; i < 50; i++) {
    expect(reply.status, reply.text).toBe(200);
    const page = obj(reply.body);
    pages.push(page);
    if (typeof page['@odata.deltaLink'] === 'string') return { pages, deltaLink: page['@odata.deltaLink'] };
    const next = page['@odata.nextLink'];
    if (typeof next !== 'string')
      throw new Error(`delta page has neither @odata.nextLink nor @odata.deltaLink: ${reply.text.slice(0, 400)}`);
    reply = await send('GET', next);
  }
  throw new Error('delta round did not end within 50 pages');
}

/** All pages of one delta round seen as one response: the last page's links with every page's values. */
function mergePages(pages: Json[]): Json {
  const last = pages[pages.length - 1] ?? {};
  return { ...last, value: pages.flatMap((p) => list(p.value)) };
}

beforeAll(async () => {
  // Throttling is orthogonal to the shapes and the CA/risk budget is 1 request per second per tenant.
  sandbox = await startGraphSandbox({ tenant: tenant({}), knobs: { throttling: { enabled: false, tenantSize: 'auto' } } });
});

afterAll(async () => {
  await sandbox?.close();
});

const GROUP_ID = 'b320ee12-b1cd-4cca-b648-a437be61c5cd';
const ME = '5b0a6ae3-1e0c-4ec5-9d51-7d3f1c3f6a10';
const meToUser = (url: string): string => url.replace(`${GRAPH}/me/`, `${GRAPH}/users/${ME}/`);
const AAD_PREMIUM = { skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965', disabledPlans: [] };
const AAD_PREMIUM_PLAN = {
  assignedDateTime: '2026-01-01T00:00:00Z',
  capabilityStatus: 'Enabled',
  service: 'AADPremiumService',
  servicePlanId: '41781fb2-bc02-4b7c-bd55-b576c07bb09d',
};

describe('Graph contract: groups', () => {
  it('lists direct group members as documented', async () => {
    const f = fixture('group-list-members');
    const doc = docValues(f)[0]!;
    await loadTenant(
      tenant({
        users: [user(String(doc.id), String(doc.mail), { mail: doc.mail })],
        groups: [group(GROUP_ID, 'Group1', [String(doc.id)])],
      }),
    );
    expectContract(f, await sendFixture(f, (u) => fill(u, { id: [GROUP_ID] })));
  });

  it('lists transitive group members as documented', async () => {
    const f = fixture('group-list-transitivemembers');
    const doc = docValues(f)[0]!;
    const nested = '7c1f1e0e-5d7a-4a43-9a0e-6f0f5b5c9e11';
    await loadTenant(
      tenant({
        users: [user(String(doc.id), String(doc.mail), { mail: doc.mail })],
        groups: [group('02bd9fd6-8f93-4758-87c3-1fb73740a315', 'Top', [nested]), group(nested, 'Nested', [String(doc.id)])],
      }),
    );
    expectContract(f, await sendFixture(f));
  });

  it('adds a member with POST members/$ref as documented', async () => {
    const f = fixture('group-add-member-ref');
    const member = '6a1c3b9e-2f4d-4b8a-9c7e-1d2f3a4b5c6d';
    await loadTenant(tenant({ users: [user(member, 'new@contoso.com')], groups: [group(GROUP_ID, 'Target', [])] }));
    const ids = { 'group-id': [GROUP_ID], id: [member] };
    expectContract(f, await sendFixture(f, (u) => fill(u, ids), fillJson(f.request.body, ids)));
    const members = await send('GET', `${GRAPH}/groups/${GROUP_ID}/members?$select=id`);
    expect(list(obj(members.body).value).map((m) => obj(m).id)).toEqual([member]);
  });

  it('adds several members with PATCH members@odata.bind as documented', async () => {
    const f = fixture('group-add-members-bind');
    const members = [
      '0f8b2c61-0001-4c9a-8d1e-3b5a7c9e1f01',
      '0f8b2c61-0002-4c9a-8d1e-3b5a7c9e1f02',
      '0f8b2c61-0003-4c9a-8d1e-3b5a7c9e1f03',
    ];
    await loadTenant(
      tenant({ users: members.map((id, i) => user(id, `bind${i}@contoso.com`)), groups: [group(GROUP_ID, 'Target', [])] }),
    );
    const ids = { 'group-id': [GROUP_ID], id: members };
    expectContract(f, await sendFixture(f, (u) => fill(u, ids), fillJson(f.request.body, ids)));
    const listed = await send('GET', `${GRAPH}/groups/${GROUP_ID}/members?$select=id`);
    expect(
      list(obj(listed.body).value)
        .map((m) => String(obj(m).id))
        .sort(),
    ).toEqual([...members].sort());
  });

  it('creates a security group with owners and members as documented', async () => {
    const f = fixture('group-create-security');
    const ids = [
      '26be1845-4119-4801-a799-aea79d09f1a2',
      'ff7cb387-6688-423c-8188-3da9532a73cc',
      '69456242-0067-49d3-ba96-9de6f2728e14',
    ];
    await loadTenant(tenant({ users: ids.map((id, i) => user(id, `op${i}@contoso.com`)), groups: [] }));
    const res = await sendFixture(f, (u) => u, f.request.body);
    expectContract(f, res);
    const created = String(obj(res.body).id);
    const members = await send('GET', `${GRAPH}/groups/${created}/members?$select=id`);
    expect(
      list(obj(members.body).value)
        .map((m) => String(obj(m).id))
        .sort(),
    ).toEqual(ids.slice(1).sort());
  });

  it('removes a member with DELETE members/{id}/$ref as documented', async () => {
    const f = fixture('group-remove-member-ref');
    const member = '2b7d9e4f-6a1c-4e3b-8f5d-9c0a1b2c3d4e';
    await loadTenant(tenant({ users: [user(member, 'leaver@contoso.com')], groups: [group(GROUP_ID, 'Target', [member])] }));
    expectContract(f, await sendFixture(f, (u) => fill(u, { 'group-id': [GROUP_ID], 'directory-object-id': [member] })));
    const listed = await send('GET', `${GRAPH}/groups/${GROUP_ID}/members`);
    expect(list(obj(listed.body).value)).toEqual([]);
  });

  it('answers groups/delta without $select as documented, members@delta included', async () => {
    const f = fixture('group-delta');
    const doc = docValues(f)[0]!;
    const memberIds = list(doc['members@delta']).map((m) => String(obj(m).id));
    await loadTenant(
      tenant({
        users: memberIds.map((id, i) => user(id, `member${i}@contoso.com`)),
        groups: [
          group('f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b', String(doc.displayName), memberIds, {
            createdDateTime: doc.createdDateTime,
            description: doc.description,
            groupTypes: doc.groupTypes,
            mail: doc.mail,
            mailEnabled: true,
            securityEnabled: false,
          }),
        ],
      }),
    );
    const reply = await sendFixture(f);
    expectContract(f, reply);
    const page = obj(reply.body);
    expect(
      typeof page['@odata.nextLink'] === 'string' || typeof page['@odata.deltaLink'] === 'string',
      'a delta page carries nextLink or deltaLink',
    ).toBe(true);
  });

  it('answers groups/delta with $select and $expand=members as documented', async () => {
    const f = fixture('group-delta-expand-members');
    const [g1, g2] = docValues(f);
    const memberIds = list(g1!['members@delta']).map((m) => String(obj(m).id));
    await loadTenant(
      tenant({
        users: memberIds.map((id, i) => user(id, `member${i}@contoso.com`)),
        groups: [
          group(String(g1!.id), String(g1!.displayName), memberIds, { description: g1!.description }),
          group(String(g2!.id), String(g2!.displayName), [], { description: g2!.description }),
        ],
      }),
    );
    const { pages } = await followDelta(await sendFixture(f));
    expectContract(f, { status: 200, body: mergePages(pages), text: '' });
  });

  it('reports removed and added members on the next delta round as documented', async () => {
    const f = fixture('group-delta-deltalink-removed');
    const doc = docValues(f)[0]!;
    const removed = '632f6bb2-3ec8-4c1f-9073-0027a8c68593';
    const added = '37de1ae3-408f-4702-8636-20824abda004';
    const groupId = String(doc.id);
    await loadTenant(
      tenant({
        users: [user(removed, 'removed@contoso.com'), user(added, 'added@contoso.com')],
        groups: [group(groupId, String(doc.displayName), [removed], { description: doc.description })],
      }),
    );
    const initial = await followDelta(await send('GET', `${GRAPH}/groups/delta?$select=displayName,description&$expand=members`));
    expect((await send('DELETE', `${GRAPH}/groups/${groupId}/members/${removed}/$ref`)).status).toBe(204);
    expect(
      (await send('POST', `${GRAPH}/groups/${groupId}/members/$ref`, {}, { '@odata.id': `${GRAPH}/directoryObjects/${added}` }))
        .status,
    ).toBe(204);
    const next = await followDelta(await send('GET', initial.deltaLink));
    expectContract(f, { status: 200, body: mergePages(next.pages), text: '' }, f.response.body, [
      '@odata.context',
      '@odata.nextLink',
    ]);
  });
});

describe('Graph contract: users', () => {
  it('gets a user by id as documented', async () => {
    const f = fixture('user-get');
    const doc = obj(f.response.body);
    await loadTenant(tenant({ users: [user(String(doc.id), String(doc.userPrincipalName), doc)] }));
    expectContract(f, await sendFixture(f));
  });

  it('lists users filtered on assignedLicenses with $select as documented', async () => {
    const f = fixture('user-list-filter-assigned-licenses');
    const docs = docValues(f);
    await loadTenant(
      tenant({
        users: [
          ...docs.map((d) => user(String(d.id), String(d.mail), { mail: d.mail, assignedLicenses: d.assignedLicenses })),
          user('9d3c2b1a-0f9e-4d8c-b7a6-554433221100', 'unlicensed@contoso.com', {
            mail: 'unlicensed@contoso.com',
            assignedLicenses: [],
          }),
        ],
      }),
    );
    const reply = await sendFixture(f);
    expectContract(f, reply);
    expect(
      list(obj(reply.body).value)
        .map((u) => obj(u).id)
        .sort(),
    ).toEqual(docs.map((d) => d.id).sort());
  });

  it('lists guests by userPrincipalName suffix with $count as documented', async () => {
    const f = fixture('user-list-filter-guests-by-upn');
    const doc = docValues(f)[0]!;
    await loadTenant(
      tenant({
        users: [
          user(String(doc.id), 'AdeleV_adatum.com#EXT#@contoso.com', {
            displayName: doc.displayName,
            mail: doc.mail,
            identities: doc.identities,
            userType: 'Guest',
          }),
          user('4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8', 'member@contoso.com', { identities: [] }),
        ],
      }),
    );
    expectContract(f, await sendFixture(f));
  });
});

describe('Graph contract: phone methods', () => {
  it('creates a mobile phone method as documented', async () => {
    const f = fixture('phonemethods-create');
    await loadTenant(
      tenant({ users: [user(ME, 'kim@contoso.com', { assignedLicenses: [AAD_PREMIUM], assignedPlans: [AAD_PREMIUM_PLAN] })] }),
    );
    expectContract(f, await sendFixture(f, meToUser));
  });

  it('updates a phone method addressed by userPrincipalName as documented', async () => {
    const f = fixture('phonemethods-update');
    const kim = 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d';
    await loadTenant(
      tenant({
        users: [user(kim, 'kim@contoso.com')],
        phoneMethods: {
          [kim]: [
            {
              id: '3179e48a-750b-4051-897c-87b9720928f7',
              phoneNumber: '+1 2065555555',
              phoneType: 'mobile',
              smsSignInState: 'notEnabled',
            },
          ],
        },
      }),
    );
    expectContract(f, await sendFixture(f));
    const after = await send('GET', `${GRAPH}/users/${kim}/authentication/phoneMethods`);
    expect(list(obj(after.body).value).map((m) => obj(m).phoneNumber)).toEqual([obj(f.request.body).phoneNumber]);
  });

  it('lists phone methods as documented', async () => {
    const f = fixture('phonemethods-list');
    await loadTenant(
      tenant({
        users: [user(ME, 'kim@contoso.com')],
        phoneMethods: { [ME]: docValues(f) as NonNullable<TenantFile['phoneMethods']>[string] },
      }),
    );
    expectContract(f, await sendFixture(f, meToUser));
  });

  it('enables SMS sign-in for the mobile method as documented', async () => {
    const f = fixture('phonemethods-enable-sms-signin');
    const smsGroup = 'c0ffee00-1234-4abc-8def-0123456789ab';
    await loadTenant(
      tenant({
        users: [user(ME, 'kim@contoso.com', { assignedLicenses: [AAD_PREMIUM], assignedPlans: [AAD_PREMIUM_PLAN] })],
        groups: [group(smsGroup, 'SMS sign-in users', [ME])],
        phoneMethods: {
          [ME]: [
            {
              id: '3179e48a-750b-4051-897c-87b9720928f7',
              phoneNumber: '+1 2065555555',
              phoneType: 'mobile',
              smsSignInState: 'notEnabled',
            },
          ],
        },
        authenticationMethodsPolicy: {
          authenticationMethodConfigurations: [
            {
              '@odata.type': '#microsoft.graph.smsAuthenticationMethodConfiguration',
              id: 'Sms',
              state: 'enabled',
              includeTargets: [{ targetType: 'group', id: smsGroup, isRegistrationRequired: false, isUsableForSignIn: true }],
              excludeTargets: [],
            },
          ],
        },
      }),
    );
    expectContract(f, await sendFixture(f, meToUser));
    const after = await send('GET', `${GRAPH}/users/${ME}/authentication/phoneMethods`);
    expect(list(obj(after.body).value).map((m) => obj(m).smsSignInState)).toEqual(['ready']);
  });
});

const TAP_POLICY = {
  '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
  id: 'TemporaryAccessPass',
  state: 'enabled',
  defaultLifetimeInMinutes: 60,
  defaultLength: 8,
  minimumLifetimeInMinutes: 60,
  maximumLifetimeInMinutes: 480,
  isUsableOnce: false,
  includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
  excludeTargets: [],
};

describe('Graph contract: authentication methods policy and TAP', () => {
  it('creates a Temporary Access Pass as documented', async () => {
    const f = fixture('tap-create');
    await loadTenant(
      tenant({
        users: [user('071cc716-8147-4397-a5ba-b2105951cc0b', 'tap@contoso.com')],
        authenticationMethodsPolicy: { authenticationMethodConfigurations: [TAP_POLICY] },
      }),
    );
    const startDateTime = new Date(Date.now() + 3 * 24 * 3_600_000).toISOString();
    const reply = await sendFixture(f, undefined, { ...obj(f.request.body), startDateTime });
    expectContract(f, reply);
    expect(obj(reply.body).methodUsabilityReason).toBe('NotYetValid');
  });

  it('gets the TAP policy configuration as documented', async () => {
    const f = fixture('tap-policy-get');
    await loadTenant(tenant({ authenticationMethodsPolicy: { authenticationMethodConfigurations: [TAP_POLICY] } }));
    expectContract(f, await sendFixture(f));
  });

  it("gets the SMS policy configuration as documented (entity, not the doc's value wrapper)", async () => {
    const f = fixture('sms-policy-get');
    const doc = obj(obj(f.response.body).value);
    await loadTenant(tenant({ authenticationMethodsPolicy: { authenticationMethodConfigurations: [{ ...doc, id: 'Sms' }] } }));
    expectContract(f, await sendFixture(f), doc);
  });
});

describe('Graph contract: identity protection', () => {
  it('lists risky users as documented', async () => {
    const f = fixture('riskyusers-list');
    const doc = docValues(f)[0]!;
    await loadTenant(
      tenant({
        users: [user(String(doc.id), 'risky@contoso.com')],
        riskyUsers: [
          {
            ...doc,
            id: String(doc.id),
            riskLastUpdatedDateTime: '2026-11-01T10:00:00Z',
            riskLevel: 'high',
            riskState: 'atRisk',
            riskDetail: 'none',
            userDisplayName: 'Risky',
            userPrincipalName: 'risky@contoso.com',
          },
        ],
      }),
    );
    expectContract(f, await sendFixture(f));
  });

  it('dismisses risky users as documented', async () => {
    const f = fixture('riskyusers-dismiss');
    const ids = list(obj(f.request.body).userIds).map(String);
    await loadTenant(
      tenant({
        users: ids.map((id, i) => user(id, `risky${i}@contoso.com`)),
        riskyUsers: ids.map((id, i) => ({
          id,
          isDeleted: false,
          isProcessing: false,
          riskLastUpdatedDateTime: '2026-11-01T10:00:00Z',
          riskLevel: 'high',
          riskState: 'atRisk',
          riskDetail: 'none',
          userDisplayName: `risky${i}`,
          userPrincipalName: `risky${i}@contoso.com`,
        })),
      }),
    );
    expectContract(f, await sendFixture(f));
    const after = await send('GET', `${GRAPH}/identityProtection/riskyUsers`);
    expect(list(obj(after.body).value).map((r) => obj(r).riskState)).toEqual(['dismissed', 'dismissed']);
  });

  it('lists risk detections as documented', async () => {
    const f = fixture('riskdetections-list');
    const doc = docValues(f)[0]!;
    await loadTenant(
      tenant({ users: [user(String(doc.userId), String(doc.userPrincipalName))], riskDetections: [doc as { id: string }] }),
    );
    expectContract(f, await sendFixture(f));
  });
});

describe('Graph contract: remediation writes', () => {
  const RISKY = ['29f270bb-4d23-4f68-8a57-dc73dc0d4caf', '20f91ec9-d140-4d90-9cd9-f618587a1471'];

  it('confirms risky users compromised as documented', async () => {
    const f = fixture('riskyusers-confirmcompromised');
    await loadTenant(tenant({ users: RISKY.map((id, i) => user(id, `risky${i}@contoso.com`)) }));
    expectContract(f, await sendFixture(f));
    const after = await send('GET', `${GRAPH}/identityProtection/riskyUsers`);
    expect(list(obj(after.body).value).map((r) => obj(r).riskState)).toEqual(['confirmedCompromised', 'confirmedCompromised']);
  });

  it('revokes sign-in sessions as documented', async () => {
    const f = fixture('user-revokesigninsessions');
    await loadTenant(tenant({ users: [user(ME, 'kim@contoso.com')] }));
    expectContract(f, await sendFixture(f, (u) => u.replace(`${GRAPH}/me/`, `${GRAPH}/users/${ME}/`)));
  });

  it("lists a guest's sponsors, users and groups, as documented", async () => {
    const f = fixture('user-list-sponsors');
    const [sara, grp] = docValues(f);
    const guest = '025e5e3e-e5b7-4eb4-ba1f-4e5b0579f1a2';
    await loadTenant(
      tenant({
        users: [
          user(guest, 'guest_fabrikam.com#EXT#@contoso.com', { userType: 'Guest' }),
          user(String(sara!.id), String(sara!.userPrincipalName), {
            displayName: sara!.displayName,
            jobTitle: sara!.jobTitle,
            mail: sara!.mail,
          }),
        ],
        groups: [group(String(grp!.id), 'Sponsors', [], { mail: grp!.mail, mailEnabled: true, mailNickname: grp!.mailNickname })],
        sponsors: { [guest]: [String(sara!.id), String(grp!.id)] },
      }),
    );
    expectContract(f, await sendFixture(f));
  });

  it('resets a password with passwordProfile as documented, and refuses one that is not complex enough', async () => {
    const f = fixture('user-update-passwordprofile');
    await loadTenant(tenant({ users: [user(ME, 'kim@contoso.com')] }));
    const ids = { id: [ME] };
    expectContract(f, await sendFixture(f, (u) => fill(u, ids)));
    const weak = await send('PATCH', `${GRAPH}/users/${ME}`, {}, { passwordProfile: { password: 'password' } });
    expect(weak.status).toBe(400);
  });

  it('updates a user as documented, accountEnabled included', async () => {
    const f = fixture('user-update');
    await loadTenant(tenant({ users: [user(ME, 'kim@contoso.com')] }));
    expectContract(f, await sendFixture(f, (u) => fill(u, { id: [ME] })));
    const blocked = await send('PATCH', `${GRAPH}/users/${ME}`, {}, { accountEnabled: false });
    expect(blocked.status).toBe(204);
    const read = await send('GET', `${GRAPH}/users/${ME}?$select=accountEnabled`);
    expect(obj(read.body).accountEnabled).toBe(false);
  });
});

describe('Graph contract: sign-ins and Conditional Access', () => {
  it('lists sign-ins as documented', async () => {
    const f = fixture('signins-list');
    const doc = docValues(f)[0]!;
    await loadTenant(
      tenant({
        users: [user(String(doc.userId), String(doc.userPrincipalName))],
        signIns: [doc as { id: string; createdDateTime: string }],
      }),
    );
    expectContract(f, await sendFixture(f));
  });

  it('lists Conditional Access policies as documented', async () => {
    const f = fixture('ca-policies-list');
    await loadTenant(tenant({ conditionalAccessPolicies: docValues(f) }));
    expectContract(f, await sendFixture(f));
  });

  it('creates a Conditional Access policy as documented', async () => {
    const f = fixture('ca-policies-create');
    await loadTenant(tenant({ groups: [group('ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba', 'EXO users', [])] }));
    const reply = await sendFixture(f);
    expectContract(f, reply);
    const listed = await send('GET', `${GRAPH}/identity/conditionalAccess/policies`);
    expect(list(obj(listed.body).value).map((p) => obj(p).id)).toEqual([obj(reply.body).id]);
  });

  it('updates a Conditional Access policy with PATCH as documented', async () => {
    const f = fixture('ca-policies-update');
    const created = fixture('ca-policies-create');
    await loadTenant(tenant({ groups: [group('ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba', 'EXO users', [])] }));
    const policyId = String(obj((await sendFixture(created)).body).id);
    expectContract(f, await sendFixture(f, (u) => u.replace('{id}', policyId)));
    const after = await send('GET', `${GRAPH}/identity/conditionalAccess/policies/${policyId}`);
    expect(obj(obj(after.body).conditions).signInRiskLevels).toEqual(['high', 'medium', 'low']);
    expect(obj(after.body).modifiedDateTime).toEqual(expect.any(String));
  });

  it('lists the built-in authentication strengths as documented', async () => {
    const f = fixture('authstrength-policies-list');
    await loadTenant(tenant({}));
    expectContract(f, await sendFixture(f));
  });

  it('lists named locations as documented', async () => {
    const f = fixture('namedlocations-list');
    await loadTenant(tenant({ namedLocations: docValues(f) }));
    expectContract(f, await sendFixture(f));
  });
});

describe('Graph contract: directory objects and batching', () => {
  it('resolves ids with directoryObjects/getByIds as documented', async () => {
    const f = fixture('directoryobjects-getbyids');
    const docs = docValues(f);
    await loadTenant(
      tenant({
        users: docs.map((d) =>
          user(String(d.id), `${String(d.displayName).replace(' ', '.').toLowerCase()}@contoso.com`, {
            displayName: d.displayName,
          }),
        ),
        groups: [group('e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b', 'Not a user', [])],
      }),
    );
    const reply = await sendFixture(f);
    expectContract(f, reply);
    expect(
      list(obj(reply.body).value)
        .map((o) => obj(o).id)
        .sort(),
    ).toEqual(docs.map((d) => d.id).sort());
  });

  it('answers a documented $batch with one response per request in the documented envelope', async () => {
    const f = fixture('batch');
    const lynne = list(
      obj(
        list(obj(f.response.body).responses)
          .map(obj)
          .find((r) => r.id === '5')!.body,
      ).value,
    ).map(obj)[0]!;
    await loadTenant(
      tenant({
        users: [
          user(String(lynne.id), String(lynne.userPrincipalName), { displayName: lynne.displayName, city: null }),
          user('161ab652-cdbc-490d-82a4-0ada1f0db247', 'sso@contoso.com', { city: 'Seattle' }),
        ],
        groups: [group('0e226165-c685-41ce-8bfc-df8360ab325d', 'Batch group', [])],
      }),
    );
    const reply = await sendFixture(f);
    expect(reply.status, reply.text).toBe(f.response.status);
    const actual = new Map(
      list(obj(reply.body).responses)
        .map(obj)
        .map((r) => [String(r.id), r]),
    );
    const envelope = { id: 'x', status: 0, headers: {}, body: {} };
    for (const doc of list(obj(f.response.body).responses).map(obj)) {
      const item = actual.get(String(doc.id));
      expect(item, `response for request ${String(doc.id)}`).toBeDefined();
      // json-batching.md: every item has id, status, headers and, unless the status carries no content (204), a body;
      // failed items carry Graph's error object.
      const status = Number(item!.status);
      const { body: _noBody, ...noContent } = envelope;
      const expectedItem =
        status === 204 ? noContent : status >= 400 ? { ...envelope, body: { error: { code: 'c', message: 'm' } } } : envelope;
      expect(formatDifferences(compareShape(expectedItem, item)), `item ${String(doc.id)} envelope`).toBe('');
    }
    const item5 = actual.get('5')!;
    const doc5 = list(obj(f.response.body).responses)
      .map(obj)
      .find((r) => r.id === '5')!;
    expect(item5.status, JSON.stringify(item5)).toBe(doc5.status);
    expect(formatDifferences(compareShape(doc5.body, item5.body)), 'item 5 body').toBe('');
  });
});

async function setKnobs(knobs: Json): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/knobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(knobs),
  });
  if (res.status >= 300) throw new Error(`setting knobs failed: ${res.status} ${await res.text()}`);
}

const QUIET = { throttling: { enabled: false, tenantSize: 'auto' }, faults: [] };

describe('Graph contract: errors and throttling', () => {
  it('answers a missing object with 404 in the documented error shape', async () => {
    const f = fixture('error-response');
    await loadTenant(tenant({ users: [user('87d349ed-44d7-43e1-9a83-5f2406dee5bd', 'adele@contoso.com')] }));
    expectContract(f, await sendFixture(f));
  });

  it('answers a request without a token with 401 in the documented error shape', async () => {
    const f = fixture('error-response');
    await loadTenant(tenant({ users: [user('87d349ed-44d7-43e1-9a83-5f2406dee5bd', 'adele@contoso.com')] }));
    const res = await fetch(`${sandbox.url}/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd`);
    const body = await res.json();
    expect(res.status).toBe(401);
    expect(formatDifferences(compareShape(f.response.body, body)), 'error shape').toBe('');
  });

  async function withInjected429<T>(run: () => Promise<T>): Promise<T> {
    await loadTenant(tenant({ users: [user('87d349ed-44d7-43e1-9a83-5f2406dee5bd', 'adele@contoso.com')] }));
    await setKnobs({ ...QUIET, faults: [{ route: 'GET /users/{id}', kind: '429', times: 1, retryAfterSeconds: 2 }] });
    try {
      return await run();
    } finally {
      await setKnobs(QUIET);
    }
  }

  it('answers an injected 429 with the documented body', async () => {
    const f = fixture('throttled-response');
    const reply = await withInjected429(() => sendFixture(f));
    expectContract(f, reply);
  });

  it('sends Retry-After and a JSON content type with an injected 429, once', async () => {
    const url = `${sandbox.url}/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd`;
    const [first, second] = await withInjected429(async () => {
      const a = await fetch(url, { headers: { Authorization: TOKEN } });
      const b = await fetch(url, { headers: { Authorization: TOKEN } });
      return [a, b];
    });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(second.status, 'the fault is spent after one request').toBe(200);
  });

  it('throttles the Conditional Access budget with 429 and the documented body', async () => {
    const f = fixture('throttled-response');
    await loadTenant(tenant({ conditionalAccessPolicies: [] }));
    try {
      await setKnobs({ throttling: { enabled: true, tenantSize: 'auto' }, faults: [] });
      const replies: Reply[] = [];
      // 1 request per second per tenant: a quick burst must hit the limit.
      for (let i = 0; i < 5; i++) replies.push(await send('GET', `${GRAPH}/identity/conditionalAccess/policies`));
      const throttled = replies.find((r) => r.status === 429);
      expect(throttled, `statuses: ${replies.map((r) => r.status).join(',')}`).toBeDefined();
      expect(formatDifferences(compareShape(f.response.body, throttled!.body)), 'throttled body shape').toBe('');
    } finally {
      await setKnobs(QUIET);
    }
  });
});
