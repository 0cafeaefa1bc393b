import { randomUUID } from 'node:crypto';

import { type EventGridEvent, HttpRequest, InvocationContext } from '@azure/functions';
import { beforeAll, expect, it } from 'vitest';

import { remediationWorkerHandler } from '../../functions/remediationWorker';
import { riskEventsHandler } from '../../functions/riskEvents';
import { riskTicketSyncHandler } from '../../functions/riskTicketSync';
import { ticketCallbackHandler } from '../../functions/ticketCallback';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { generateDemoTenant } from '../../local/tenants/generateDemo';
import { getServices } from '../../shared/runtime/services';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { BUILTIN_TICKETS_TABLE } from '../../shared/ticketing/builtin';
import { signHeaders } from '../../shared/ticketing/standardWebhooks';
import { context, type RemediationHarness, useRemediationHarness } from '../remediation/harness';
import { recordFigures } from './scale';
import { setKnobs } from './storm';

/**
 * At-least-once delivery on the risk and remediation path, through the real handlers on Azurite and the demo tenant:
 * Event Grid risk events (Event Grid schema and CloudEvents 1.0) delivered twice, racing and out of order; the
 * ticket-sync queue message twice; a signed ticket callback redelivered under the same delivery id and again under a
 * new one; the remediation write-back message twice. Each has one effect: one ticket per user with each signal once,
 * one ticket in the ticket system, one Graph write for the approved action, one note on the ticket.
 */
const SCALE = 50;
const h = useRemediationHarness({ GRAPH_PACING_TIME_SCALE: String(SCALE), LOG_LEVEL: 'silent' });
const demo = generateDemoTenant();
beforeAll(async () => setKnobs(h.current.sandbox.url, { timeScale: SCALE }));

const figures: Record<string, unknown> = {};
const tickets = () => new TableTicketRepository(getServices().storage);

function deliver(event: unknown, n: number): Promise<void> {
  const ctx = new InvocationContext({ invocationId: `eg-${n}-${randomUUID()}`, functionName: 'riskEvents' });
  return riskEventsHandler(event as EventGridEvent, ctx);
}

const egEvent = (id: string, data: unknown) => ({
  id,
  eventType: 'Custom.Risk',
  subject: 'risk',
  eventTime: '2026-12-02T10:00:00Z',
  topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/entra-risk',
  data,
  dataVersion: '1',
});
/** The risky user's ticket: delivering its event again is itself a redelivery, so this is safe in any order. */
async function highRiskTicket() {
  await deliver(
    egEvent(
      'evt-a',
      demo.riskyUsers.find((r) => r.id === DEMO_USERS.riskyHigh.id),
    ),
    0,
  );
  const [ticket] = await tickets().list({ userId: DEMO_USERS.riskyHigh.id });
  if (!ticket) throw new Error('the risky user has no ticket');
  return ticket;
}

const cloudEvent = (id: string, data: unknown) => ({
  specversion: '1.0',
  id,
  type: 'Custom.Risk',
  source: '/sentinel/playbooks/risk',
  time: '2026-12-02T10:00:00Z',
  datacontenttype: 'application/json',
  data,
});

it('opens one ticket per user, each signal once, when risk events of both schemas arrive twice and out of order', async () => {
  const high = demo.riskyUsers.find((r) => r.id === DEMO_USERS.riskyHigh.id);
  const compromised = demo.riskDetections.find((d) => d.userId === DEMO_USERS.confirmedCompromised.id);
  const compromisedUser = demo.riskyUsers.find((r) => r.id === DEMO_USERS.confirmedCompromised.id);
  const a = egEvent('evt-a', high);
  const b = cloudEvent('evt-b', compromised);
  const c = egEvent('evt-c', compromisedUser);
  // c before b, every event twice, the duplicates racing their originals, and a late third round.
  await Promise.all([deliver(c, 1), deliver(c, 2), deliver(a, 3)]);
  await Promise.all([deliver(b, 4), deliver(a, 5), deliver(b, 6)]);
  for (const [i, e] of [b, c, a].entries()) await deliver(e, 7 + i);

  for (const userId of [DEMO_USERS.riskyHigh.id, DEMO_USERS.confirmedCompromised.id]) {
    const list = await tickets().list({ userId });
    expect(list).toHaveLength(1);
    const refs = (list[0]?.timeline ?? []).filter((e) => e.type === 'signal').map((e) => e.reference ?? e.text);
    expect(new Set(refs).size).toBe(refs.length);
  }
  figures.riskEvents = { events: 3, deliveries: 9, tickets: 2, duplicateTickets: 0 };
  recordFigures('atLeastOnce-risk', figures);
}, 120_000);

it('keeps one ticket in the ticket system when the ticket-sync message arrives twice', async () => {
  const ticket = await highRiskTicket();
  const ctx = () => new InvocationContext({ invocationId: randomUUID(), functionName: 'riskTicketSync' });
  await Promise.all([
    riskTicketSyncHandler({ ticketId: ticket.ticketId, attempt: 1 }, ctx()),
    riskTicketSyncHandler({ ticketId: ticket.ticketId, attempt: 1 }, ctx()),
  ]);
  const table = await getServices().storage.table(BUILTIN_TICKETS_TABLE);
  let count = 0;
  for await (const e of table.listEntities())
    if (String(e.rowKey).length > 0 && JSON.stringify(e).includes(ticket.userId)) count++;
  expect(count).toBe(1);
  expect((await tickets().get(ticket.ticketId))?.provider).toMatchObject({
    status: 'synced',
    externalId: ticket.provider.externalId,
  });
  figures.ticketSync = { deliveries: 2, providerTickets: count };
  recordFigures('atLeastOnce-risk', figures);
}, 60_000);

async function callback(
  h2: RemediationHarness,
  raw: string,
  deliveryId: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const request = new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/tickets/callback/builtin',
    headers: { 'content-type': 'application/json', ...signHeaders(h2.secrets.builtin, deliveryId, raw) },
    params: { provider: 'builtin' },
    body: { string: raw },
  });
  const res = await ticketCallbackHandler(request, context(h2, 'ticketCallback'));
  return { status: res.status ?? 200, body: (res.jsonBody ?? {}) as Record<string, unknown> };
}

it('runs an approved action once and notes it once when the callback and its write-back arrive twice', async () => {
  const ticket = await highRiskTicket();
  const statsReset = await fetch(`${h.current.sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
  expect(statsReset.status).toBe(204);
  const raw = JSON.stringify({
    ticketId: ticket.ticketId,
    action: 'revokeSessions',
    approvedBy: 'helpdesk@contoso',
    reason: 'stolen phone',
    approvalId: 'appr-twice',
  });
  // The ticket system retries a delivery it saw time out (same id, racing the first), then the approver clicks again.
  const [first, second] = await Promise.all([callback(h.current, raw, 'msg_twice'), callback(h.current, raw, 'msg_twice')]);
  const statuses = [first.status, second.status].sort();
  expect(statuses[1]).toBe(401);
  expect([200, 202]).toContain(statuses[0]);
  const accepted = first.status === 401 ? second : first;
  const again = await callback(h.current, raw, 'msg_twice_new_id');
  expect(again.body).toMatchObject({ requestId: accepted.body.requestId, duplicate: true });

  const subject = `ticket:${ticket.ticketId}`;
  const requestId = String(accepted.body.requestId);
  const worker = (m: unknown) => remediationWorkerHandler(m, context(h.current, 'remediationWorker'));
  await Promise.all([worker({ kind: 'writeBack', subject, requestId }), worker({ kind: 'writeBack', subject, requestId })]);
  await Promise.all([worker({ kind: 'drain', subject }), worker({ kind: 'drain', subject })]);

  const stats = (await (await fetch(`${h.current.sandbox.url}/_sandbox/stats`)).json()) as {
    byRoute: Record<string, number>;
    byRouteInBatch: Record<string, number>;
  };
  const route = 'POST /users/{id}/revokeSignInSessions';
  const actions = (stats.byRoute[route] ?? 0) + (stats.byRouteInBatch[route] ?? 0);
  expect(actions).toBe(1);
  const notes = ((await tickets().get(ticket.ticketId))?.timeline ?? []).filter((e) => e.source === 'remediation');
  expect(notes).toHaveLength(1);
  figures.callback = {
    deliveries: 3,
    replaysRefused: 1,
    duplicatesAnswered: 1,
    graphActions: actions,
    writeBackDeliveries: 2,
    drainDeliveries: 2,
    notes: notes.length,
  };
  recordFigures('atLeastOnce-risk', figures);
}, 120_000);
