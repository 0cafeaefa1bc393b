import { randomUUID } from 'node:crypto';

import { HttpRequest } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';

import { remediationWorkerHandler } from '../../functions/remediationWorker';
import { ticketCallbackHandler } from '../../functions/ticketCallback';
import { DEMO_TENANT, DEMO_USERS } from '../../local/tenants/demoIds';
import { type RiskTicket, ticketIdFor, ticketKey } from '../../shared/risk/model';
import { REMEDIATION_QUEUE } from '../../shared/runtime/remediation';
import { getServices } from '../../shared/runtime/services';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { builtinIdFor, BuiltinTicketProvider } from '../../shared/ticketing/builtin';
import { signHub } from '../../shared/ticketing/hubSignature';
import type { TicketProviderName } from '../../shared/ticketing/port';
import { signHeaders } from '../../shared/ticketing/standardWebhooks';
import { context, type Reply, sandboxControl, user, useRemediationHarness } from './harness';

/**
 * POST /api/tickets/callback/{provider} through the real handler: signatures checked on the raw body before anything
 * else, replays refused, the approved action run against the sandbox and the outcome written to the ticket.
 */
const harness = useRemediationHarness();

async function openTicket(
  userId: string,
  upn: string,
  provider: TicketProviderName = 'builtin',
  openInProvider = true,
): Promise<RiskTicket> {
  const services = getServices();
  const episodeStart = new Date(Date.now() - Math.floor(Math.random() * 1e9)).toISOString().replace(/\.\d+Z$/, 'Z');
  const key = ticketKey(DEMO_TENANT.id, userId, episodeStart);
  const externalId =
    provider === 'builtin' && !openInProvider
      ? builtinIdFor(key)
      : provider === 'builtin'
        ? (
            await new BuiltinTicketProvider(services.storage).open({
              key,
              category: 'risk',
              title: 't',
              severity: 'high',
              sections: [],
            })
          ).externalId
        : provider === 'servicenow'
          ? randomUUID().replace(/-/g, '')
          : 'SEC-42';
  const now = new Date().toISOString();
  const ticket: RiskTicket = {
    ticketId: ticketIdFor(userId, episodeStart),
    key,
    tenantId: DEMO_TENANT.id,
    userId,
    userPrincipalName: upn,
    kind: 'member',
    reason: 'userRisk',
    episodeStart,
    state: 'open',
    title: `Risky user ${upn}`,
    severity: 'high',
    sections: [],
    createdAt: now,
    updatedAt: now,
    signalCount: 1,
    seen: [],
    timeline: [],
    provider: { provider, externalId, pendingNotes: [], resolvedThere: false, status: 'synced', attempts: 0 },
  };
  const opened = await new TableTicketRepository(services.storage).open(ticket);
  if (!opened.created) throw new Error('ticket slot taken');
  return ticket;
}

async function post(provider: string, raw: string, headers: Record<string, string>): Promise<Reply> {
  const request = new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/tickets/callback/${provider}`,
    headers: { 'content-type': 'application/json', ...headers },
    params: { provider },
    body: { string: raw },
  });
  const res = await ticketCallbackHandler(request, context(harness.current, 'ticketCallback'));
  return { status: res.status ?? 200, body: (res.jsonBody ?? {}) as Record<string, unknown> };
}

const signed = (
  provider: 'builtin' | 'webhook' | 'servicenow',
  body: unknown,
  id = `msg_${randomUUID()}`,
  nowMs = Date.now(),
) => {
  const raw = JSON.stringify(body);
  return post(provider, raw, { ...signHeaders(harness.current.secrets[provider], id, raw, nowMs) });
};

/** The built-in ticket system takes notes again: the ticket it did not have (openTicket with `false`) now exists. */
const ticketSystemBack = (key: string) =>
  new BuiltinTicketProvider(getServices().storage).open({ key, category: 'risk', title: 't', severity: 'high', sections: [] });

beforeEach(async () => {
  await sandboxControl(harness.current, 'reset');
  const services = getServices();
  const table = await services.storage.table('risktickets');
  for await (const e of table.listEntities()) await table.deleteEntity(e.partitionKey ?? '', e.rowKey ?? '');
});

describe('ticket callbacks: verification before anything else', () => {
  it('refuses unsigned, mis-signed, expired and replayed deliveries with 401 and changes nothing', async () => {
    const h = harness.current;
    const t = await openTicket(DEMO_USERS.salesManager.id, DEMO_USERS.salesManager.userPrincipalName);
    const body = { ticketId: t.ticketId, action: 'block', approvedBy: 'helpdesk@contoso', reason: 'approved' };
    const raw = JSON.stringify(body);

    expect((await post('builtin', raw, {})).body.error).toMatchObject({ code: 'CALLBACK_SIGNATURE_INVALID' });
    const wrong = signHeaders(h.secrets.webhook, 'msg_wrong', raw);
    expect((await post('builtin', raw, { ...wrong })).status).toBe(401);
    const tampered = signHeaders(h.secrets.builtin, 'msg_tampered', raw);
    expect((await post('builtin', raw.replace('block', 'unblock'), { ...tampered })).status).toBe(401);
    const old = await signed('builtin', body, 'msg_old', Date.now() - 6 * 60_000);
    expect(old.body.error).toMatchObject({ code: 'CALLBACK_EXPIRED' });
    expect((await user(h, DEMO_USERS.salesManager.id)).accountEnabled, 'nothing changed').toBe(true);

    const first = await signed('builtin', body, 'msg_once');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ state: 'succeeded', action: 'block' });
    expect((await user(h, DEMO_USERS.salesManager.id)).accountEnabled).toBe(false);
    const replay = await signed('builtin', body, 'msg_once');
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatchObject({ code: 'CALLBACK_REPLAYED' });
  });

  it('refuses bodies that are not JSON, too big or too deep, unknown tickets and unknown actions', async () => {
    const h = harness.current;
    const sign = (raw: string) => ({ ...signHeaders(h.secrets.builtin, `msg_${randomUUID()}`, raw) });
    expect((await post('builtin', '{not json', sign('{not json'))).body.error).toMatchObject({ code: 'INVALID_JSON' });
    const huge = JSON.stringify({ pad: 'x'.repeat(70_000) });
    expect((await post('builtin', huge, sign(huge))).status).toBe(413);
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect((await post('builtin', deep, sign(deep))).body.error).toMatchObject({ code: 'BODY_TOO_DEEP' });
    const unknown = await signed('builtin', {
      ticketId: `${DEMO_USERS.salesManager.id}.20260101T000000Z`,
      action: 'block',
      approvedBy: 'x',
    });
    expect(unknown.status).toBe(404);
    const t = await openTicket(DEMO_USERS.smsReady.id, DEMO_USERS.smsReady.userPrincipalName);
    const badAction = await signed('builtin', { ticketId: t.ticketId, action: 'deleteUser', approvedBy: 'x' });
    expect(badAction.status).toBe(400);
    expect((await post('nosuch', '{}', {})).status).toBe(400);
  });
});

describe('ticket callbacks: approved actions', () => {
  it('runs the action, writes the outcome to the ticket and its timeline, and a second approval of the same id runs once', async () => {
    const h = harness.current;
    const t = await openTicket(DEMO_USERS.salesManager.id, DEMO_USERS.salesManager.userPrincipalName);
    const approval = {
      ticketId: t.ticketId,
      action: 'revokeSessions',
      approvedBy: 'helpdesk@contoso',
      reason: 'stolen phone',
      approvalId: 'appr-1',
    };
    const first = await signed('builtin', approval);
    expect(first.body).toMatchObject({ state: 'succeeded', writeBack: 'done', duplicate: false });
    const second = await signed('builtin', approval);
    expect(second.body).toMatchObject({ requestId: first.body.requestId, duplicate: true });
    const stored = await new TableTicketRepository(getServices().storage).get(t.ticketId);
    const notes = stored?.timeline.filter((e) => e.source === 'remediation') ?? [];
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toContain('revokeSessions');
    expect(notes[0]?.text).toMatch(/Sign-in:/);
    expect((await user(h, DEMO_USERS.salesManager.id)).signInSessionsValidFromDateTime).toBeTruthy();
  });

  it('puts a one-time retrieval link, never the pass, into the ticket for issueTap', async () => {
    const t = await openTicket(DEMO_USERS.smsReady.id, DEMO_USERS.smsReady.userPrincipalName);
    const res = await signed('builtin', {
      ticketId: t.ticketId,
      action: 'issueTap',
      approvedBy: 'helpdesk',
      reason: 'new phone',
    });
    expect(res.body).toMatchObject({ state: 'succeeded' });
    const stored = await new TableTicketRepository(getServices().storage).get(t.ticketId);
    const note = stored?.timeline.find((e) => e.source === 'remediation')?.text ?? '';
    expect(note).toContain('https://entra-ops.example/api/taps/');
  });

  it('runs two different approvals of one ticket in approval order', async () => {
    const h = harness.current;
    const t = await openTicket(DEMO_USERS.salesManager.id, DEMO_USERS.salesManager.userPrincipalName);
    const [a, b] = await Promise.all([
      signed('builtin', { ticketId: t.ticketId, action: 'block', approvedBy: 'x', reason: 'first', approvalId: 'a1' }),
      signed('builtin', { ticketId: t.ticketId, action: 'revokeSessions', approvedBy: 'x', reason: 'second', approvalId: 'a2' }),
    ]);
    // One ran under the ticket's lease; the other ran right after it (200) or was left to the lease holder (202).
    for (const r of [a, b]) expect([200, 202]).toContain(r.status);
    await expect.poll(async () => (await user(h, DEMO_USERS.salesManager.id)).signInSessionsValidFromDateTime).toBeTruthy();
    expect((await user(h, DEMO_USERS.salesManager.id)).accountEnabled).toBe(false);
  });

  it('accepts a ServiceNow business-rule callback by correlation_id and a Jira transition signed with X-Hub-Signature', async () => {
    const h = harness.current;
    const sn = await openTicket(DEMO_USERS.salesManager.id, DEMO_USERS.salesManager.userPrincipalName, 'servicenow');
    const snBody = {
      sys_id: sn.provider.externalId,
      number: 'INC0010002',
      state: '2',
      previous_state: '1',
      sys_mod_count: '3',
      sys_updated_on: '2026-12-02 17:00:00',
      correlation_id: sn.key,
      action: 'block',
      approved_by: 'itil.approver',
      reason: 'approved in CAB',
    };
    const raw = JSON.stringify(snBody);
    const snRes = await post('servicenow', raw, { ...signHeaders(h.secrets.servicenow, `${String(snBody.sys_id)}:3`, raw) });
    expect(snRes.body).toMatchObject({ state: 'succeeded', action: 'block' });

    const jira = await openTicket(DEMO_USERS.smsReady.id, DEMO_USERS.smsReady.userPrincipalName, 'jira');
    const jiraBody = JSON.stringify({
      timestamp: Date.now(),
      webhookEvent: 'jira:issue_updated',
      user: { accountId: '5b10a2844c20165700ede21g', displayName: 'Helpdesk Lead' },
      issue: { id: '10042', key: jira.provider.externalId, fields: { status: { name: 'Approved - Block' } } },
      changelog: {
        id: '10100',
        items: [
          {
            field: 'status',
            fieldtype: 'jira',
            fieldId: 'status',
            from: '3',
            fromString: 'In Progress',
            to: '10001',
            toString: 'Approved - Block',
          },
        ],
      },
    });
    const unsigned = await post('jira', jiraBody, { 'x-atlassian-webhook-identifier': 'jira-delivery-1' });
    expect(unsigned.status).toBe(401);
    const jiraHeaders = {
      'x-hub-signature': signHub(h.secrets.jira, jiraBody),
      'x-atlassian-webhook-identifier': 'jira-delivery-2',
    };
    const jiraRes = await post('jira', jiraBody, jiraHeaders);
    expect(jiraRes.body).toMatchObject({ state: 'succeeded', action: 'block', userId: DEMO_USERS.smsReady.id });
    expect((await post('jira', jiraBody, jiraHeaders)).body.error).toMatchObject({ code: 'CALLBACK_REPLAYED' });
  });

  it('keeps the outcome when the ticket system cannot take the note: queued, then posted by the worker', async () => {
    const h = harness.current;
    const services = getServices();
    const t = await openTicket(DEMO_USERS.salesManager.id, DEMO_USERS.salesManager.userPrincipalName, 'builtin', false);
    const res = await signed('builtin', {
      ticketId: t.ticketId,
      action: 'revokeSessions',
      approvedBy: 'x',
      reason: 'queued note',
    });
    expect(res.body).toMatchObject({ state: 'succeeded', writeBack: 'pending' });
    const queue = services.storage.queueService.getQueueClient(REMEDIATION_QUEUE);
    expect((await queue.getProperties()).approximateMessagesCount ?? 0).toBeGreaterThanOrEqual(1);

    // The ticket system is back: the queued write-back posts the note once.
    await ticketSystemBack(t.key);
    const message = { kind: 'writeBack', subject: `ticket:${t.ticketId}`, requestId: String(res.body.requestId) };
    await remediationWorkerHandler(message, context(h, 'remediationWorker'));
    await remediationWorkerHandler(message, context(h, 'remediationWorker'));
    const stored = await new TableTicketRepository(services.storage).get(t.ticketId);
    expect(stored?.timeline.filter((e) => e.source === 'remediation')).toHaveLength(1);
    const builtin = await new BuiltinTicketProvider(services.storage).get(t.key);
    expect(builtin?.notes.map((n) => n.noteId)).toEqual([`remediation:${String(res.body.requestId)}`]);
  });

  it('finishes a pending note on the redelivered approval when the queued write-back was lost with its runner', async () => {
    const services = getServices();
    const t = await openTicket(DEMO_USERS.salesManager.id, DEMO_USERS.salesManager.userPrincipalName, 'builtin', false);
    // The same approval sent again as a new delivery (a resend from the ticket system) carries the same approvalId.
    const approval = {
      ticketId: t.ticketId,
      action: 'revokeSessions',
      approvedBy: 'x',
      reason: 'runner died',
      approvalId: 'chg-4711',
    };
    const first = await signed('builtin', approval);
    expect(first.body).toMatchObject({ state: 'succeeded', writeBack: 'pending' });
    // As if the runner died before queueing the write-back: no message is left to post the note.
    await services.storage.queueService.getQueueClient(REMEDIATION_QUEUE).clearMessages();
    await ticketSystemBack(t.key);

    const redelivered = await signed('builtin', approval);
    expect(redelivered.body).toMatchObject({ state: 'succeeded', writeBack: 'done', requestId: first.body.requestId });
    await signed('builtin', approval);
    const builtin = await new BuiltinTicketProvider(services.storage).get(t.key);
    expect(builtin?.notes.map((n) => n.noteId)).toEqual([`remediation:${String(first.body.requestId)}`]);
  });
});
