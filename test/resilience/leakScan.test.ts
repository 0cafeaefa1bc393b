import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_USERS } from '../../local/tenants/demoIds';
import { createLogger } from '../../shared/log';
import { signHub } from '../../shared/ticketing/hubSignature';
import { generateSecret, signHeaders } from '../../shared/ticketing/standardWebhooks';
import { eventually } from '../helpers/host';
import { type Stack, startStack } from '../helpers/stack';
import { FUZZ_STACK, send } from './fuzzKit';
import { recordFigures } from './scale';

/**
 * The leak scan: one representative pass of every capability through the local host (group sync, phone import, TAP,
 * remediation with a retrievable password and pass, risk poll into ServiceNow, ticket callbacks, Conditional Access
 * reads and backups, health, overview) with planted secrets: phone numbers in a CSV, the passes and passwords the
 * app issues, the Graph token, the pass-vault key, ServiceNow credentials, every provider's callback secret and the
 * signatures made with them, bearer tokens and function keys in request headers. Then everything the run wrote is
 * read back (every log line of the host and the app at debug level, every table entity, queue message and blob in
 * Azurite) and searched for each planted value and its normal forms. Builds on test/remediation/leaks.test.ts
 * (passes only, handler level) by covering every capability and every kind of secret, through the host.
 */
const hex = (n: number) => randomBytes(n).toString('hex');
const planted = {
  graphToken: `graph-token-${hex(16)}`,
  passVaultKey: randomBytes(32).toString('base64'),
  servicenowPassword: `sn-pass-${hex(12)}`,
  builtin: generateSecret(),
  webhook: generateSecret(),
  servicenow: generateSecret(),
  jira: hex(24),
  bearer: `bearer-${hex(16)}`,
  functionKey: `fkey-${hex(16)}`,
};
// Numbers in the CSV, written as admins write them; the scan also looks for every normal form of each.
const PHONES = [
  { user: DEMO_USERS.smsNoPhone.userPrincipalName, written: '+1 425 555 0173', digits: '4255550173' },
  { user: DEMO_USERS.exchangeOnly.userPrincipalName, written: '(425) 555-0174', digits: '4255550174' },
];
const phoneForms = (digits: string) => [`+1${digits}`, `1${digits}`, digits, `+1 ${digits}`];

/**
 * Where a planted value may rightly be stored: the user's own input. The uploaded CSV is kept as the import's record
 * of what was asked (`processed/<file>`, moved there from `uploads/` or `incoming/` when the import is read); nothing
 * else may hold a phone number or a secret.
 */
const ALLOWED = [
  { container: 'phone-imports', prefix: 'processed/', reason: "the uploaded CSV itself, kept as the import's input" },
];

const logs: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logs.push(chunk.toString('utf8'));
    done();
  },
});
const stackRef: { current?: Stack } = {};
const api = () => `${stackRef.current?.apiUrl ?? ''}/api`;
/** The headers a caller sends: a bearer token and a function key, both planted. */
const caller = { authorization: `Bearer ${planted.bearer}`, 'x-functions-key': planted.functionKey };
const found: string[] = [];

beforeAll(async () => {
  stackRef.current = await startStack({
    ...FUZZ_STACK,
    logger: createLogger('debug', sink),
    env: {
      ...FUZZ_STACK.env,
      LOG_LEVEL: 'debug',
      GRAPH_STATIC_TOKEN: planted.graphToken,
      PASS_VAULT_KEY: planted.passVaultKey,
      TICKET_PROVIDER: 'servicenow',
      SERVICENOW_USERNAME: 'entra-ops.integration',
      SERVICENOW_PASSWORD: planted.servicenowPassword,
      TICKET_CALLBACK_SECRET_BUILTIN: planted.builtin,
      TICKET_CALLBACK_SECRET_WEBHOOK: planted.webhook,
      SERVICENOW_CALLBACK_SECRET: planted.servicenow,
      JIRA_WEBHOOK_SECRET: planted.jira,
    },
  });
});
afterAll(async () => {
  await stackRef.current?.stop();
});

async function call(method: string, path: string, body?: string, type = 'application/json') {
  const reply = await send({
    method,
    url: `${api()}/${path}`,
    headers: { ...caller, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body }),
  });
  expect(reply.status, `${method} ${path}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  const json = reply.contentType.includes('json') && reply.text ? (JSON.parse(reply.text) as Record<string, unknown>) : {};
  return { status: reply.status, json };
}

/** Sync, phone import, TAP, remediation, risk, CA, health: each capability once, the way an admin would use it. */
async function representativePass(): Promise<string[]> {
  const issued: string[] = [];
  const job = await call(
    'POST',
    'sync/jobs',
    JSON.stringify({ name: 'leak scan', target: 'Group2Name', sources: [{ group: 'Group1Name' }] }),
  );
  expect((await call('POST', `sync/jobs/${String(job.json.jobId)}/run`)).status).toBe(200);

  const csv = `UserName,PhoneNumber\r\n${PHONES.map((p) => `${p.user},${p.written}`).join('\r\n')}\r\n`;
  const imp = await call('POST', 'phone-imports?name=leak-scan.csv', csv, 'text/csv');
  expect(imp.status).toBe(202);
  await eventually(
    'the phone import to complete',
    async () => (await call('GET', `phone-imports/${String(imp.json.importId)}`)).json.status === 'completed',
    30_000,
  );
  await call('GET', `phone-imports/${String(imp.json.importId)}/rows`);
  await call('GET', `phone-imports/${String(imp.json.importId)}/results`);

  const tap = await call('POST', `users/${DEMO_USERS.salesManager.id}/tap`, '{}');
  expect(tap.status).toBe(201);
  issued.push(String(tap.json.temporaryAccessPass));
  for (const [userId, action] of [
    [DEMO_USERS.smsReady.id, 'issueTap'],
    [DEMO_USERS.riskyHigh.id, 'resetPassword'],
  ] as const) {
    const res = await call('POST', 'remediations', JSON.stringify({ userId, action, reason: 'leak scan' }));
    const { retrievalId } = (res.json.outcome ?? {}) as { retrievalId?: string };
    expect(retrievalId, JSON.stringify(res.json)).toBeTruthy();
    issued.push(String((await call('GET', `taps/${String(retrievalId)}`)).json.value));
  }

  expect((await call('POST', 'risk/poll')).status).toBe(200);
  await call('GET', 'tickets');
  await call('POST', 'ca/backups', '{}');
  await call('GET', `ca/why-blocked?user=${DEMO_USERS.riskyHigh.userPrincipalName}`);
  await call('GET', 'ca/break-glass');
  await call('GET', 'health');
  await call('GET', 'overview');
  issued.push(...(await signedCallbacks()));
  return issued;
}

/** A signed callback per provider (their tickets are unknown, so each is verified, parsed and refused after). */
async function signedCallbacks(): Promise<string[]> {
  const signatures: string[] = [];
  const body = JSON.stringify({ ticketId: 'INC-LEAK-1', action: 'block', approvedBy: 'leak@contoso.example', reason: 'scan' });
  for (const provider of ['builtin', 'webhook', 'servicenow'] as const) {
    const headers = signHeaders(planted[provider], `msg_${randomUUID()}`, body);
    signatures.push(headers['webhook-signature'].replace(/^v1,/, ''));
    const reply = await send({
      method: 'POST',
      url: `${api()}/tickets/callback/${provider}`,
      headers: { ...caller, 'content-type': 'application/json', ...headers },
      body,
    });
    expect(reply.status).toBeLessThan(500);
  }
  const jiraBody = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '10001', key: 'SEC-1' } });
  const hub = signHub(planted.jira, jiraBody);
  signatures.push(hub.replace(/^sha256=/, ''));
  const reply = await send({
    method: 'POST',
    url: `${api()}/tickets/callback/jira`,
    headers: {
      ...caller,
      'content-type': 'application/json',
      'x-hub-signature': hub,
      'x-atlassian-webhook-identifier': randomUUID(),
    },
    body: jiraBody,
  });
  expect(reply.status).toBeLessThan(500);
  return signatures;
}

interface Stored {
  readonly where: string;
  readonly text: string;
  readonly allowed?: string;
}

/** Every table entity, queue message (raw and base64-decoded) and blob in the stack's Azurite. */
async function everythingStored(connection: string): Promise<Stored[]> {
  const out: Stored[] = [];
  const tables = TableServiceClient.fromConnectionString(connection, { allowInsecureConnection: true });
  for await (const t of tables.listTables()) {
    const table = TableClient.fromConnectionString(connection, t.name ?? '', { allowInsecureConnection: true });
    for await (const e of table.listEntities()) out.push({ where: `table ${t.name}`, text: JSON.stringify(e) });
  }
  const queues = QueueServiceClient.fromConnectionString(connection);
  for await (const q of queues.listQueues()) {
    const peeked = await queues.getQueueClient(q.name).peekMessages({ numberOfMessages: 32 });
    for (const m of peeked.peekedMessageItems)
      out.push({ where: `queue ${q.name}`, text: `${m.messageText}\n${Buffer.from(m.messageText, 'base64').toString('utf8')}` });
  }
  const blobs = BlobServiceClient.fromConnectionString(connection);
  for await (const c of blobs.listContainers()) {
    const container = blobs.getContainerClient(c.name);
    for await (const b of container.listBlobsFlat()) {
      const allowed = ALLOWED.find((a) => a.container === c.name && b.name.startsWith(a.prefix))?.reason;
      const text = (await container.getBlobClient(b.name).downloadToBuffer()).toString('utf8');
      out.push({ where: `blob ${c.name}/${b.name}`, text, ...(allowed ? { allowed } : {}) });
    }
  }
  return out;
}

describe('leak scan', () => {
  it('finds no planted phone number, pass, password, token, secret or signature in logs, tables, queues or blobs', async () => {
    const issued = await representativePass();
    expect(issued.every((s) => s.length >= 8)).toBe(true);
    const needles = [
      ...Object.entries(planted).map(([name, value]) => ({ name, value })),
      ...issued.map((value, i) => ({ name: `issued secret ${i + 1}`, value })),
      ...PHONES.flatMap((p) => [p.written, ...phoneForms(p.digits)].map((value) => ({ name: `phone ${p.digits}`, value }))),
    ];
    const stored = await everythingStored(stackRef.current?.connectionString ?? '');
    const haystacks: Stored[] = [...logs.map((text) => ({ where: 'log', text })), ...stored];
    let allowedHits = 0;
    for (const h of haystacks)
      for (const n of needles) {
        if (!h.text.includes(n.value)) continue;
        if (h.allowed) allowedHits++;
        else found.push(`${n.name} in ${h.where}`);
      }
    // The scan must have something to scan: the pass logged, stored and uploaded what it did.
    expect(logs.length).toBeGreaterThan(50);
    expect(stored.some((s) => s.where.startsWith('table'))).toBe(true);
    expect(allowedHits, 'the uploaded CSV is kept, so the scan sees the planted numbers there').toBeGreaterThan(0);
    recordFigures('leak-scan', {
      planted: needles.length,
      logLines: logs.length,
      tableEntities: stored.filter((s) => s.where.startsWith('table')).length,
      queueMessages: stored.filter((s) => s.where.startsWith('queue')).length,
      blobs: stored.filter((s) => s.where.startsWith('blob')).length,
      allowList: ALLOWED,
      allowedHits,
      leaksFound: found.length,
    });
    expect(found).toEqual([]);
  }, 300_000);
});
