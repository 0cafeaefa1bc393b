import { randomBytes, randomUUID } from 'node:crypto';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { allFunctions } from '../../functions/catalog';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { signHub } from '../../shared/ticketing/hubSignature';
import { generateSecret, signHeaders } from '../../shared/ticketing/standardWebhooks';
import { type LogLine, memoryLogger } from '../helpers/host';
import { type Stack, startStack } from '../helpers/stack';
import { answerProblems, fuzz, FUZZ_RUNS, FUZZ_STACK, hostileText, send, Tally } from './fuzzKit';
import { recordFigures } from './scale';

/**
 * The app's structured inputs, generated near their schemas so most cases get past the first check: sync job bodies
 * (created, replaced and dry-run), Event Grid deliveries in both schemas with the validation handshake, and ticket
 * callbacks from every provider, correctly signed, mis-signed, expired and unsigned. All through the local host.
 */
const secrets = {
  builtin: generateSecret(),
  webhook: generateSecret(),
  servicenow: generateSecret(),
  jira: randomBytes(24).toString('hex'),
};
const tally = new Tally();
const { logger, lines } = memoryLogger();
const stackRef: { current?: Stack } = {};
const api = () => `${stackRef.current?.apiUrl ?? ''}/api`;

beforeAll(async () => {
  stackRef.current = await startStack({
    ...FUZZ_STACK,
    logger,
    env: {
      ...FUZZ_STACK.env,
      LOG_LEVEL: 'info',
      TICKET_CALLBACK_SECRET_BUILTIN: secrets.builtin,
      TICKET_CALLBACK_SECRET_WEBHOOK: secrets.webhook,
      SERVICENOW_CALLBACK_SECRET: secrets.servicenow,
      JIRA_WEBHOOK_SECRET: secrets.jira,
    },
  });
});
afterAll(async () => {
  await stackRef.current?.stop();
  recordFigures('fuzz-inputs', { runsPerKind: FUZZ_RUNS, ...tally.totals(), byKind: Object.fromEntries(tally.byKind) });
});

const GROUPS = ['Group1Name', 'Group2Name', 'Region - EMEA', 'Dynamic - All Guests', 'Dynamic - Sales', 'All Regions'];
const groupRef = fc.oneof(fc.constantFrom(...GROUPS), fc.uuid(), hostileText(300));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: fc.jsonValue() });
/** Bodies the schema accepts, in every combination of its options, so creation, replacement and dry runs are reached. */
const validJob = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 100 }).filter((n) => n.trim() !== ''),
    target: fc.constantFrom('Group2Name', 'Region - EMEA'),
    sources: fc.array(
      fc.record({ group: fc.constantFrom('Group1Name', 'Dynamic - Sales', 'All Regions'), transitive: fc.boolean() }),
      { minLength: 1, maxLength: 2 },
    ),
    exclude: fc.array(fc.record({ group: fc.constantFrom('Region - Americas'), transitive: fc.boolean() }), { maxLength: 1 }),
    mode: fc.constantFrom('additive', 'mirror'),
    memberTypes: fc.uniqueArray(fc.constantFrom('user', 'group', 'device'), { minLength: 1 }),
    userType: fc.constantFrom('Member', 'Guest', 'any'),
    includeDisabled: fc.boolean(),
    limits: fc.record(
      { maxAdds: fc.nat(100), maxRemovals: fc.nat(100), maxRemovalPercent: fc.integer({ min: 0, max: 100 }) },
      { requiredKeys: [] },
    ),
    schedule: fc.constantFrom('0 */5 * * * *', '0 0 2 * * *'),
    enabled: fc.boolean(),
  },
  { requiredKeys: ['name', 'target', 'sources'] },
);
const hostileJob = fc.record(
  {
    name: maybe(fc.oneof(fc.constantFrom('fuzz job', ' ', ''), hostileText(140))),
    target: maybe(groupRef),
    sources: maybe(
      fc.array(fc.record({ group: maybe(groupRef), transitive: maybe(fc.boolean()) }, { requiredKeys: ['group'] }), {
        maxLength: 3,
      }),
    ),
    exclude: maybe(fc.array(fc.record({ group: groupRef, transitive: fc.boolean() }), { maxLength: 2 })),
    mode: maybe(fc.constantFrom('additive', 'mirror', 'Mirror', 'delete')),
    memberTypes: maybe(fc.array(fc.constantFrom('user', 'group', 'device', 'servicePrincipal', 'contact'), { maxLength: 5 })),
    userType: maybe(fc.constantFrom('Member', 'Guest', 'any', 'member')),
    includeDisabled: maybe(fc.boolean()),
    protected: maybe(fc.array(fc.oneof(fc.uuid(), hostileText()), { maxLength: 3 })),
    limits: maybe(
      fc.record(
        { maxAdds: maybe(fc.integer()), maxRemovals: maybe(fc.nat()), maxRemovalPercent: maybe(fc.double()) },
        { requiredKeys: [] },
      ),
    ),
    schedule: maybe(
      fc.oneof(fc.constantFrom('0 */5 * * * *', '0 0 2 * * *', '* * * * * *', '61 * * * * *', '0 */5 * * *'), hostileText()),
    ),
    enabled: maybe(fc.boolean()),
    protect: fc.constant([]),
  },
  { requiredKeys: [] },
);

describe('sync job bodies', () => {
  it('create, replace, dry-run and delete: no 5xx, every refusal in the error model', async () => {
    await fuzz(
      __filename,
      'sync job bodies',
      fc.asyncProperty(fc.oneof(validJob, hostileJob), async (body) => {
        const json = { 'content-type': 'application/json' };
        const created = await send({ method: 'POST', url: `${api()}/sync/jobs`, headers: json, body: JSON.stringify(body) });
        tally.count('sync job bodies', created.status);
        expect(answerProblems(created)).toEqual([]);
        if (created.status !== 201) return;
        const { jobId } = JSON.parse(created.text) as { jobId: string };
        const replaced = await send({
          method: 'PUT',
          url: `${api()}/sync/jobs/${jobId}`,
          headers: json,
          body: JSON.stringify(body),
        });
        const dryRun = await send({ method: 'POST', url: `${api()}/sync/jobs/${jobId}/run?dryRun=true` });
        // One job per target: deleting it frees the target for the next case.
        const deleted = await send({ method: 'DELETE', url: `${api()}/sync/jobs/${jobId}` });
        expect([...answerProblems(replaced), ...answerProblems(dryRun)]).toEqual([]);
        expect([replaced.status, deleted.status]).toEqual([200, 204]);
      }),
    );
  }, 600_000);
});

// Event Grid: every Event Grid-triggered function of the catalog, so a later one is fuzzed too.
const eventGridFunctions = allFunctions.filter((f) => f.kind === 'eventGrid').map((f) => f.name);
const userId = fc.oneof(fc.constantFrom(DEMO_USERS.riskyHigh.id, DEMO_USERS.salesManager.id), fc.uuid(), hostileText());
const riskData = fc.oneof(
  fc.record(
    { userId, riskLevel: fc.constantFrom('low', 'medium', 'high', 'banana'), source: hostileText() },
    { requiredKeys: [] },
  ),
  fc.record({
    id: userId,
    riskState: fc.constantFrom('atRisk', 'confirmedCompromised', 'x'),
    riskLevel: fc.constantFrom('high', 'none', 7),
  }),
  fc.record({
    riskEventType: hostileText(),
    userId,
    activityDateTime: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      hostileText(),
    ),
  }),
  fc.record({
    resource: fc.oneof(
      userId.map((u) => `users/${u}`),
      hostileText(),
    ),
    resourceData: fc.record({ id: userId }),
  }),
  fc.jsonValue(),
);
const isoTime = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  hostileText(20),
);
const eventGridEvent = fc.record(
  {
    id: fc.oneof(fc.uuid(), hostileText()),
    eventType: hostileText(),
    subject: hostileText(),
    eventTime: isoTime,
    data: riskData,
    dataVersion: fc.constant('1'),
  },
  { requiredKeys: ['id', 'eventType', 'subject', 'eventTime'] },
);
const cloudEvent = fc.record(
  {
    specversion: fc.constantFrom('1.0', '0.3'),
    id: fc.oneof(fc.uuid(), hostileText()),
    source: hostileText(),
    type: hostileText(),
    time: isoTime,
    data: riskData,
  },
  { requiredKeys: ['specversion', 'id', 'source', 'type'] },
);
const delivery = fc.record({
  functionName: fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...eventGridFunctions) },
    { weight: 1, arbitrary: hostileText(10) },
  ),
  method: fc.oneof(
    { weight: 9, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'GET', 'PUT') },
  ),
  eventType: fc.constantFrom('Notification', 'SubscriptionValidation', 'Unsubscribe', 'bogus', undefined),
  contentType: fc.constantFrom(
    'application/json',
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'text/plain',
  ),
  body: fc.oneof(
    fc.array(eventGridEvent, { maxLength: 3 }),
    fc.array(cloudEvent, { minLength: 1, maxLength: 3 }),
    cloudEvent,
    fc.record({ data: fc.record({ validationCode: fc.oneof(fc.uuid(), fc.constant('')) }) }).map((v) => [v]),
    fc.jsonValue(),
  ),
  raw: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.string({ maxLength: 50 }) }),
});

/** The app refuses a malformed risk event by failing it on purpose, so Event Grid retries and dead-letters it. */
const failedOnPurpose = (line: LogLine) => (line.fields.err as Error | undefined)?.name === 'InvalidRiskEvent';

describe('Event Grid deliveries', () => {
  it('both schemas and the handshake: 2xx, a 4xx in the error model, or a deliberate failure of a malformed event', async () => {
    await fuzz(
      __filename,
      'Event Grid deliveries',
      fc.asyncProperty(delivery, async (d) => {
        const before = lines.length;
        const reply = await send({
          method: d.method,
          url: `${stackRef.current?.apiUrl ?? ''}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(d.functionName)}`,
          headers: { 'content-type': d.contentType, ...(d.eventType ? { 'aeg-event-type': d.eventType } : {}) },
          ...(d.method === 'GET' ? {} : { body: d.raw ?? JSON.stringify(d.body) }),
        });
        tally.count('Event Grid deliveries', reply.status);
        const failures = lines.slice(before).filter((l) => l.level === 'error' && l.msg.includes('(Failed)'));
        if (reply.status === 500) {
          expect(JSON.parse(reply.text)).toMatchObject({ error: { code: 'FunctionFailed' } });
          expect(failures.length).toBeGreaterThan(0);
          expect(failures.filter((l) => !failedOnPurpose(l)).map((l) => String(l.fields.err))).toEqual([]);
          return;
        }
        expect(failures).toEqual([]);
        expect(answerProblems(reply)).toEqual([]);
        const code = (Array.isArray(d.body) ? (d.body[0] as { data?: { validationCode?: unknown } } | undefined) : undefined)
          ?.data?.validationCode;
        if (d.method === 'POST' && d.eventType === 'SubscriptionValidation' && reply.status === 200 && typeof code === 'string')
          expect(JSON.parse(reply.text)).toEqual({ validationResponse: code });
      }),
    );
  }, 600_000);
});

const PROVIDERS = ['builtin', 'webhook', 'servicenow', 'jira'] as const;
type Provider = (typeof PROVIDERS)[number];
const action = fc.constantFrom('block', 'unblock', 'revokeSessions', 'resetPassword', 'dismiss', 'issueTap', 'format');
const callbackBody = fc.oneof(
  fc.record(
    { ticketId: hostileText(), action, approvedBy: hostileText(), reason: hostileText(), approvalId: hostileText() },
    { requiredKeys: ['ticketId', 'action'] },
  ),
  fc.record({
    sys_id: fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')),
      hostileText(),
    ),
    number: hostileText(),
    state: fc.constantFrom('Approved', 'Resolved', 'x'),
    sys_mod_count: fc.oneof(fc.nat(), fc.constant('12'), hostileText()),
    sys_updated_on: hostileText(),
    correlation_id: hostileText(),
    action,
    approved_by: hostileText(),
  }),
  fc.record({
    webhookEvent: fc.constantFrom('jira:issue_updated', 'x'),
    issue: fc.record({ id: hostileText(), key: fc.oneof(fc.constant('OPS-1'), hostileText()) }),
    changelog: fc.record({
      id: fc.nat().map(String),
      items: fc.array(fc.record({ field: hostileText(), toString: hostileText() }), { maxLength: 3 }),
    }),
  }),
  fc.jsonValue(),
  fc.nat({ max: 80 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.constant(`{"pad":"${'x'.repeat(64 * 1024)}"}`),
);
const signing = fc.constantFrom('valid', 'valid', 'valid', 'wrongSecret', 'expired', 'unsigned', 'garbage');

function signed(provider: Provider, how: string, body: string): Record<string, string> {
  const secret = how === 'wrongSecret' ? (provider === 'jira' ? 'not-the-secret' : generateSecret()) : secrets[provider];
  if (how === 'unsigned') return {};
  if (how === 'garbage')
    return provider === 'jira'
      ? { 'x-hub-signature': 'sha256=zz' }
      : { 'webhook-id': 'x', 'webhook-timestamp': 'soon', 'webhook-signature': 'v1,!!' };
  if (provider === 'jira') return { 'x-hub-signature': signHub(secret, body), 'x-atlassian-webhook-identifier': randomUUID() };
  return { ...signHeaders(secret, `msg_${randomUUID()}`, body, how === 'expired' ? Date.now() - 3_600_000 : Date.now()) };
}

describe('ticket callbacks', () => {
  it('signed, mis-signed, expired and unsigned: no 5xx, bad signatures 401, every refusal in the error model', async () => {
    await fuzz(
      __filename,
      'ticket callbacks',
      fc.asyncProperty(fc.constantFrom(...PROVIDERS), signing, callbackBody, async (provider, how, value) => {
        const body = typeof value === 'string' ? value : JSON.stringify(value);
        const reply = await send({
          method: 'POST',
          url: `${api()}/tickets/callback/${provider}`,
          headers: { 'content-type': 'application/json', ...signed(provider, how, body) },
          body,
        });
        tally.count('ticket callbacks', reply.status);
        expect(answerProblems(reply)).toEqual([]);
        // Jira's signature has no timestamp (replays are refused by delivery id), so an "expired" one is still valid.
        const badSignature = how !== 'valid' && !(provider === 'jira' && how === 'expired');
        if (badSignature && body.length <= 64 * 1024) expect(reply.status).toBe(401);
      }),
    );
  }, 600_000);
});
