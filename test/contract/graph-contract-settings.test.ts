/**
 * Contract tests for the calls of the guest-risk fix and the banned-password list: the sandbox answers the documented
 * examples (test/fixtures/graph/*.json) with the documented status and shape. Same method as graph-contract.test.ts;
 * placeholder values the docs use where a real template or id is needed are filled in, as each fixture's note says.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, startGraphSandbox, type TenantFile } from '../../local/sandbox';
import { compareShape, formatDifferences } from './shape';

interface Fixture {
  docPage: string;
  request: { method: string; url: string; body?: unknown };
  response: { status: number; body?: unknown };
}

interface Reply {
  status: number;
  body: unknown;
  text: string;
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

async function send(method: string, url: string, body?: unknown): Promise<Reply> {
  const res = await fetch(url.replace(GRAPH, `${sandbox.url}/v1.0`), {
    method,
    headers: {
      authorization: 'Bearer contract-tests',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

function expectContract(f: Fixture, reply: Reply): void {
  expect(reply.status, `${f.docPage}: ${reply.text.slice(0, 300)}`).toBe(f.response.status);
  if (f.response.body === undefined) expect(reply.text, `${f.docPage}: no body`).toBe('');
  else expect(formatDifferences(compareShape(f.response.body, reply.body)), f.docPage).toBe('');
}

beforeAll(async () => {
  sandbox = await startGraphSandbox({
    tenant: { tenant: { id: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35', displayName: 'Contoso', defaultDomain: 'contoso.com' } },
    knobs: { throttling: { enabled: false, tenantSize: 'auto' } },
  });
});

afterAll(async () => {
  await sandbox?.close();
});

describe('Graph contract: dynamic groups', () => {
  it('creates a dynamic Microsoft 365 group as documented, processing state normalised to On', async () => {
    const f = fixture('group-create-dynamic');
    await load({});
    const reply = await send(f.request.method, f.request.url, f.request.body);
    expectContract(f, reply);
    expect(reply.body).toMatchObject({ membershipRuleProcessingState: 'On', mail: 'marketing@contoso.com' });
  });
});

const PASSWORD_RULES = '5cf42378-d67d-4f36-ba46-e8b86229381d';
const SETTING_ID = 'f0b2d6f5-097d-4177-91af-a24e530b53cc';
const passwordRuleSetting = (values: { name: string; value: string }[]) => ({
  id: SETTING_ID,
  displayName: 'Password Rule Settings',
  templateId: PASSWORD_RULES,
  values,
});

describe('Graph contract: directory settings', () => {
  it('gets a setting template with its values and defaults as documented', async () => {
    const f = fixture('groupsettingtemplate-get');
    await load({});
    const reply = await send('GET', f.request.url);
    expectContract(f, reply);
    const { ['@odata.context']: _context, ...documented } = f.response.body as Record<string, unknown>;
    expect(reply.body).toMatchObject(documented);
  });

  it('lists tenant-wide settings as documented', async () => {
    const f = fixture('groupsetting-list');
    await load({ groupSettings: [passwordRuleSetting([{ name: 'EnableBannedPasswordCheck', value: 'True' }])] });
    expectContract(f, await send('GET', f.request.url));
  });

  it('creates a setting from a template as documented, the display name from the template and defaults filled', async () => {
    const f = fixture('groupsetting-create');
    await load({});
    const body = {
      ...(f.request.body as object),
      templateId: PASSWORD_RULES,
      values: [{ name: 'LockoutThreshold', value: '7' }],
    };
    const reply = await send('POST', f.request.url, body);
    expectContract(f, reply);
    const created = reply.body as { displayName: string; values: { name: string; value: string }[] };
    expect(created.displayName).toBe('Password Rule Settings');
    expect(created.values).toContainEqual({ name: 'LockoutThreshold', value: '7' });
    expect(created.values).toContainEqual({ name: 'BannedPasswordList', value: '' });
    // One setting per template per tenant.
    const second = await send('POST', f.request.url, body);
    expect([second.status, (second.body as { error: { message: string } }).error.message]).toEqual([
      400,
      'A conflicting object with one or more of the specified property values is present in the directory.',
    ]);
  });

  it('updates a tenant-wide setting with PATCH as documented, replacing the whole values collection', async () => {
    const f = fixture('groupsetting-update');
    await load({ groupSettings: [passwordRuleSetting([{ name: 'LockoutThreshold', value: '10' }])] });
    const reply = await send('PATCH', f.request.url, { values: [{ name: 'EnableBannedPasswordCheck', value: 'false' }] });
    expectContract(f, reply);
    const after = await send('GET', `${GRAPH}/groupSettings/${SETTING_ID}`);
    expect((after.body as { values: unknown }).values).toEqual([{ name: 'EnableBannedPasswordCheck', value: 'false' }]);
  });
});

describe('Graph contract: directory settings, refusals', () => {
  it('refuses unknown templates, unknown names, wrong types and group-specific templates tenant-wide', async () => {
    await load({});
    const post = (body: unknown) => send('POST', `${GRAPH}/groupSettings`, body).then((r) => r.status);
    expect(await post({ templateId: '00000000-0000-0000-0000-000000000000', values: [] })).toBe(400);
    expect(await post({ templateId: '08d542b9-071f-4e16-94b0-74abb372e3d9', values: [] })).toBe(400);
    expect(await post({ templateId: PASSWORD_RULES, values: [{ name: 'NoSuchSetting', value: 'x' }] })).toBe(400);
    expect(await post({ templateId: PASSWORD_RULES, values: [{ name: 'LockoutThreshold', value: 'ten' }] })).toBe(400);
    expect(await post({ templateId: PASSWORD_RULES, values: [{ name: 'EnableBannedPasswordCheck', value: true }] })).toBe(400);
    expect(
      await post({
        templateId: PASSWORD_RULES,
        values: [
          { name: 'LockoutThreshold', value: '1' },
          { name: 'lockoutthreshold', value: '2' },
        ],
      }),
    ).toBe(400);
    expect((await send('GET', `${GRAPH}/groupSettings`)).body).toMatchObject({ value: [] });
    expect((await send('GET', `${GRAPH}/groupSettingTemplates/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });
});
