import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type JiraStandIn, startJiraStandIn } from '../../local/stand-ins/jira';
import { type ServiceNowStandIn, startServiceNowStandIn } from '../../local/stand-ins/servicenow';
import { JiraProvider } from '../../shared/ticketing/jira';
import { type TicketDraft, type TicketProvider, TicketProviderError } from '../../shared/ticketing/port';
import { correlationIdFor, ServiceNowProvider } from '../../shared/ticketing/servicenow';
import { generateSecret } from '../../shared/ticketing/standardWebhooks';
import { WebhookProvider } from '../../shared/ticketing/webhook';
import { control, failure } from './standIns';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver';

/**
 * One contract for every ticket provider: the ticket service and the jobs are written against the port, so each
 * implementation must behave the same way on the cases they rely on. Each harness runs its provider against the real
 * thing it talks to over HTTP (a stand-in or a signed-webhook receiver).
 */
interface ProviderHarness {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  provider(): TicketProvider;
  /** The same provider with credentials the system refuses. */
  refused(): TicketProvider;
  /** How many tickets the system holds for a dedupe key. */
  ticketsFor(key: string): Promise<number>;
  /** The system's next answer is a 503. */
  outage(): Promise<void>;
}

const draft = (key: string): TicketDraft => ({
  key,
  category: 'risk',
  title: `Ticket for ${key}`,
  severity: 'medium',
  sections: [{ heading: 'Why', lines: ['a', 'b'] }],
  facts: { userId: 'u' },
});

function serviceNowHarness(): ProviderHarness {
  let sn: ServiceNowStandIn;
  const make = (password: string) =>
    new ServiceNowProvider({
      instanceUrl: sn.url,
      auth: { kind: 'basic', username: 'u', password },
      closeCode: 'Solution provided',
      timeoutMs: 2_000,
    });
  return {
    name: 'servicenow',
    start: async () => {
      sn = await startServiceNowStandIn({ username: 'u', password: 'right' });
    },
    stop: () => sn.close(),
    provider: () => make('right'),
    refused: () => make('wrong'),
    ticketsFor: async (key) => sn.incidents().filter((i) => i.fields.correlation_id === correlationIdFor(key)).length,
    outage: async () => {
      await control(sn.url, 'POST', '/_standin/faults', { status: 503 });
    },
  };
}

function jiraHarness(): ProviderHarness {
  let jira: JiraStandIn;
  const make = (apiToken: string) =>
    new JiraProvider({
      baseUrl: jira.url,
      email: 'e@x.example',
      apiToken,
      projectKey: 'SEC',
      issueType: 'Task',
      resolveTransition: 'Done',
      timeoutMs: 2_000,
    });
  return {
    name: 'jira',
    start: async () => {
      jira = await startJiraStandIn({ email: 'e@x.example', apiToken: 'right' });
    },
    stop: () => jira.close(),
    provider: () => make('right'),
    refused: () => make('wrong'),
    ticketsFor: async (key) =>
      jira.issues().filter((i) => JSON.stringify(i.fields.description).includes(`entra-ops key: ${key}"`)).length,
    outage: async () => {
      await control(jira.url, 'POST', '/_standin/faults', { status: 503 });
    },
  };
}

function webhookHarness(): ProviderHarness {
  const secret = generateSecret();
  let receiver: WebhookReceiver;
  return {
    name: 'webhook',
    start: async () => {
      receiver = await startWebhookReceiver([secret]);
    },
    stop: () => receiver.close(),
    provider: () => new WebhookProvider({ url: receiver.url, secrets: [secret], timeoutMs: 2_000 }),
    refused: () => new WebhookProvider({ url: receiver.url, secrets: [generateSecret()], timeoutMs: 2_000 }),
    ticketsFor: async (key) =>
      [...receiver.events.values()].filter((e) => e.body.type === 'ticket.opened' && e.body.data.key === key).length,
    outage: async () => receiver.failNext(503),
  };
}

const harnesses: (() => ProviderHarness)[] = [serviceNowHarness, jiraHarness, webhookHarness];

describe.each(harnesses.map((make) => [make().name, make] as const))('ticket provider contract: %s', (_name, make) => {
  const harness = make();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('opens a ticket and names itself in the ref', async () => {
    const ref = await harness.provider().open(draft('contract:open'));
    expect(ref.provider).toBe(harness.provider().name);
    expect(ref.externalId).not.toBe('');
    expect(await harness.ticketsFor('contract:open')).toBe(1);
  });

  it('opening the same key again returns the same ticket and opens nothing new, from a fresh instance too', async () => {
    const first = await harness.provider().open(draft('contract:dedupe'));
    expect((await harness.provider().open(draft('contract:dedupe'))).externalId).toBe(first.externalId);
    expect(await harness.ticketsFor('contract:dedupe')).toBe(1);
  });

  it('different keys open different tickets', async () => {
    const a = await harness.provider().open(draft('contract:a'));
    const b = await harness.provider().open(draft('contract:b'));
    expect(a.externalId).not.toBe(b.externalId);
  });

  it('adds notes and resolves; resolving again is harmless', async () => {
    const p = harness.provider();
    const ref = await p.open(draft('contract:lifecycle'));
    await p.addNote(ref, { noteId: 'n1', text: 'first update' });
    await p.resolve(ref, { noteId: 'r1', text: 'resolved' });
    await expect(p.resolve(ref, { noteId: 'r1', text: 'resolved' })).resolves.toBeUndefined();
  });

  it('reports healthy credentials as ok', async () => {
    expect((await harness.provider().check()).ok).toBe(true);
  });

  it('refused credentials are a non-retryable TicketProviderError', async () => {
    const error = await failure(harness.refused().open(draft('contract:refused')));
    expect(error).toBeInstanceOf(TicketProviderError);
    expect(error).toMatchObject({ retryable: false, provider: harness.provider().name });
    expect(await harness.ticketsFor('contract:refused')).toBe(0);
  });

  it('an outage is a retryable TicketProviderError, and the retry opens exactly one ticket', async () => {
    await harness.outage();
    expect(await failure(harness.provider().open(draft('contract:outage')))).toMatchObject({ retryable: true });
    await harness.provider().open(draft('contract:outage'));
    expect(await harness.ticketsFor('contract:outage')).toBe(1);
  });
});
