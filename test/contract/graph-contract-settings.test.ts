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
