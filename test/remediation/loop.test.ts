import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ticketCallbackHandler } from '../../functions/ticketCallback';
import { type JiraStandIn, startJiraStandIn } from '../../local/stand-ins/jira';
import { type ServiceNowStandIn, startServiceNowStandIn } from '../../local/stand-ins/servicenow';
import { DEMO_TENANT, DEMO_USERS } from '../../local/tenants/demoIds';
import { type RiskTicket, ticketIdFor, ticketKey } from '../../shared/risk/model';
import { ticketProviderFor } from '../../shared/runtime/risk';
import { getServices, setServices } from '../../shared/runtime/services';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { context, graphAs, sandboxControl, user, useRemediationHarness } from './harness';

/**
 * The whole approval loop per ticket system, with nothing in between faked: the risky user's ticket is opened in the
 * ServiceNow or Jira stand-in by the provider the app builds from its settings, the stand-in's approval sends its
 * signed callback over HTTP to a small bridge that hands the raw request to the real `ticketCallback` handler, the
 * action runs against the Graph sandbox, and the outcome note lands in the stand-in's ticket. The stand-in's
 * redelivery of the same callback must change nothing.
 */
const harness = useRemediationHarness();

let bridge: Server;
let bridgeUrl = '';
/** While set, the bridge answers 503 without calling the app, as a host that is down would. */
let bridgeDown = false;
let sn: ServiceNowStandIn;
let jira: JiraStandIn;
const JIRA_ACTION_FIELD = 'customfield_10050';

/** Stands where the Functions host would: POST /api/tickets/callback/{provider} with the raw bytes and headers. */
async function startBridge(): Promise<void> {
  bridge = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (bridgeDown) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        const provider = /\/api\/tickets\/callback\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const request = new HttpRequest({
          method: req.method ?? 'POST',
          url: `http://localhost${req.url ?? '/'}`,
          headers,
          params: { provider },
          body: { string: Buffer.concat(chunks).toString('utf8') },
        });
        const out = await ticketCallbackHandler(request, context(harness.current, 'ticketCallback'));
        res.writeHead(out.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(out.jsonBody ?? {}));
      })();
    });
  });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  bridgeUrl = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}/api/tickets/callback`;
}

beforeAll(async () => {
  const h = harness.current;
  await startBridge();
  [sn, jira] = await Promise.all([
    startServiceNowStandIn({
      username: 'entra-ops',
      password: 'sn-password',
      callback: { url: `${bridgeUrl}/servicenow`, secret: h.secrets.servicenow },
    }),
    startJiraStandIn({
      email: 'entra-ops@contoso.example',
      apiToken: 'jira-token',
      actionFieldId: JIRA_ACTION_FIELD,
      callback: { url: `${bridgeUrl}/jira`, secret: h.secrets.jira },
    }),
  ]);
});

afterAll(async () => {
  bridge.closeAllConnections();
  await Promise.all([new Promise<void>((resolve) => bridge.close(() => resolve())), sn.close(), jira.close()]);
});

beforeEach(async () => {
  await sandboxControl(harness.current, 'reset');
  const table = await getServices().storage.table('risktickets');
  for await (const e of table.listEntities()) await table.deleteEntity(e.partitionKey ?? '', e.rowKey ?? '');
});

/** Switches the app to one ticket system for a describe block (services are rebuilt from process.env). */
function useProvider(env: () => Record<string, string>): void {
  beforeAll(() => {
    Object.assign(process.env, env());
    setServices(undefined);
  });
}

/** Opens the ticket as the risk job does: in the configured ticket system, then in the risk ticket table. */
async function openRiskTicket(userId: string, upn: string): Promise<RiskTicket> {
  const services = getServices();
  const episodeStart = new Date(Date.now() - Math.floor(Math.random() * 1e9)).toISOString().replace(/\.\d+Z$/, 'Z');
  const key = ticketKey(DEMO_TENANT.id, userId, episodeStart);
  const title = `Risky user ${upn}`;
  const ref = await ticketProviderFor(services).open({ key, category: 'risk', title, severity: 'high', sections: [] });
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
    title,
    severity: 'high',
    sections: [],
    createdAt: now,
    updatedAt: now,
    signalCount: 1,
    seen: [],
    timeline: [],
    provider: {
      provider: ref.provider,
      externalId: ref.externalId,
      ...(ref.displayId ? { displayId: ref.displayId } : {}),
      ...(ref.url ? { url: ref.url } : {}),
      pendingNotes: [],
      resolvedThere: false,
      status: 'synced',
      attempts: 0,
    },
  };
  const opened = await new TableTicketRepository(services.storage).open(ticket);
  if (!opened.created) throw new Error('ticket slot taken');
  return ticket;
}

interface Delivered {
  readonly delivery: { deliveryId: string; status?: number; responseBody?: string; error?: string } | null;
}

async function standIn(baseUrl: string, path: string, body?: unknown): Promise<Delivered> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Delivered;
}

const answer = (d: Delivered): Record<string, unknown> => {
  if (!d.delivery?.responseBody) throw new Error(`no delivery answer: ${JSON.stringify(d.delivery)}`);
  return JSON.parse(d.delivery.responseBody) as Record<string, unknown>;
};

const remediationNotes = async (ticketId: string) =>
  ((await new TableTicketRepository(getServices().storage).get(ticketId))?.timeline ?? []).filter(
    (e) => e.source === 'remediation',
  );

const workNotes = (sysId: string): string[] =>
  (sn.incidents().find((r) => r.fields.sys_id === sysId)?.journal ?? [])
    .filter((j) => j.element === 'work_notes')
    .map((j) => j.value);

const jiraComments = (key: string): string[] =>
  (jira.issues().find((i) => i.key === key)?.comments ?? []).map((c) => JSON.stringify(c.body));

describe('approval loop through the ServiceNow stand-in (TICKET_PROVIDER=servicenow)', () => {
  useProvider(() => ({
    TICKET_PROVIDER: 'servicenow',
    SERVICENOW_INSTANCE_URL: sn.url,
    SERVICENOW_USERNAME: 'entra-ops',
    SERVICENOW_PASSWORD: 'sn-password',
  }));

  it('opens the incident in ServiceNow, runs the approved block, notes the outcome there, and a redelivery changes nothing', async () => {
    const h = harness.current;
    const target = DEMO_USERS.salesManager;
    const t = await openRiskTicket(target.id, target.userPrincipalName);
    expect(t.provider.provider).toBe('servicenow');
    expect(sn.incidents().some((r) => r.fields.sys_id === t.provider.externalId)).toBe(true);

    const approved = await standIn(sn.url, `/_standin/incidents/${t.provider.externalId}/approve`, {
      action: 'block',
      approvedBy: 'itil.approver',
      reason: 'CAB approved',
    });
    expect(approved.delivery?.status).toBe(200);
    expect(answer(approved)).toMatchObject({ state: 'succeeded', action: 'block', writeBack: 'done', userId: target.id });
    expect((await user(h, target.id)).accountEnabled).toBe(false);
    const notes = workNotes(t.provider.externalId ?? '');
    const outcome = notes.filter((n) => n.startsWith('entra-ops remediation block'));
    expect(outcome).toHaveLength(1);
    expect(outcome[0]).toMatch(/succeeded[\s\S]*Sign-in:/);

    // Unblock in Graph so a second run would show; the redelivery is refused and the user stays as the admin left it.
    await graphAs(h, `/v1.0/users/${target.id}`, { method: 'PATCH', body: { accountEnabled: true } });
    const replay = await standIn(
      sn.url,
      `/_standin/deliveries/${encodeURIComponent(approved.delivery?.deliveryId ?? '')}/redeliver`,
    );
    expect(replay.delivery, JSON.stringify(replay.delivery)).toMatchObject({ status: 401 });
    expect(answer(replay)).toMatchObject({ error: { code: 'CALLBACK_REPLAYED' } });
    expect((await user(h, target.id)).accountEnabled).toBe(true);
    expect(workNotes(t.provider.externalId ?? '')).toEqual(notes);
    expect(await remediationNotes(t.ticketId)).toHaveLength(1);
  });

  it('retries a Graph 429 during the action and reports a user deleted since the ticket opened (Graph 404) on the incident', async () => {
    const h = harness.current;
    const throttled = await openRiskTicket(DEMO_USERS.smsReady.id, DEMO_USERS.smsReady.userPrincipalName);
    await sandboxControl(h, 'knobs', { faults: [{ route: 'POST /users/{id}/revokeSignInSessions', kind: '429', times: 1 }] });
    await sandboxControl(h, 'stats/reset');
    const ran = await standIn(sn.url, `/_standin/incidents/${throttled.provider.externalId}/approve`, {
      action: 'revokeSessions',
      reason: 'throttled once',
    });
    expect(answer(ran)).toMatchObject({ state: 'succeeded', action: 'revokeSessions' });
    expect((await user(h, DEMO_USERS.smsReady.id)).signInSessionsValidFromDateTime).toBeTruthy();
    const stats = (await (await fetch(`${h.sandbox.url}/_sandbox/stats`)).json()) as { byRoute: Record<string, number> };
    expect(stats.byRoute['POST /users/{id}/revokeSignInSessions'], 'the throttled call and its retry').toBe(2);

    const gone = DEMO_USERS.salesManager;
    const t = await openRiskTicket(gone.id, gone.userPrincipalName);
    await graphAs(h, `/v1.0/users/${gone.id}`, { method: 'DELETE' });
    const failed = await standIn(sn.url, `/_standin/incidents/${t.provider.externalId}/approve`, {
      action: 'block',
      reason: 'left the company',
    });
    expect(answer(failed)).toMatchObject({ state: 'failed', outcome: { code: 'USER_NOT_FOUND' } });
    const note = workNotes(t.provider.externalId ?? '').find((n) => n.startsWith('entra-ops remediation block'));
    expect(note).toMatch(/failed/);
    expect(note).toContain('USER_NOT_FOUND');
  });
});

describe('approval loop through the Jira stand-in (TICKET_PROVIDER=jira)', () => {
  useProvider(() => ({
    TICKET_PROVIDER: 'jira',
    JIRA_BASE_URL: jira.url,
    JIRA_EMAIL: 'entra-ops@contoso.example',
    JIRA_API_TOKEN: 'jira-token',
    JIRA_PROJECT_KEY: 'SEC',
    JIRA_ACTION_FIELD,
  }));

  it('opens the issue in Jira, runs the approved action, comments the outcome there, and a redelivery changes nothing', async () => {
    const h = harness.current;
    const target = DEMO_USERS.salesManager;
    const t = await openRiskTicket(target.id, target.userPrincipalName);
    expect(t.provider.provider).toBe('jira');
    expect(jira.issues().some((i) => i.key === t.provider.externalId)).toBe(true);

    const approved = await standIn(jira.url, `/_standin/issues/${t.provider.externalId}/approve`, {
      action: 'block',
      approvedBy: 'Helpdesk Lead',
      reason: 'approved on the board',
    });
    expect(approved.delivery?.status).toBe(200);
    expect(answer(approved)).toMatchObject({ state: 'succeeded', action: 'block', writeBack: 'done', userId: target.id });
    expect((await user(h, target.id)).accountEnabled).toBe(false);
    const comments = jiraComments(t.provider.externalId ?? '');
    expect(comments.filter((c) => c.includes('entra-ops remediation block'))).toHaveLength(1);

    await graphAs(h, `/v1.0/users/${target.id}`, { method: 'PATCH', body: { accountEnabled: true } });
    const replay = await standIn(
      jira.url,
      `/_standin/deliveries/${encodeURIComponent(approved.delivery?.deliveryId ?? '')}/redeliver`,
    );
    expect(replay.delivery, JSON.stringify(replay.delivery)).toMatchObject({ status: 401 });
    expect(answer(replay)).toMatchObject({ error: { code: 'CALLBACK_REPLAYED' } });
    expect((await user(h, target.id)).accountEnabled).toBe(true);
    expect(jiraComments(t.provider.externalId ?? '')).toEqual(comments);
    expect(await remediationNotes(t.ticketId)).toHaveLength(1);
  });

  it('re-reads the issue before acting and refuses an approval whose issue has left the approved status', async () => {
    const h = harness.current;
    const target = DEMO_USERS.smsReady;
    const t = await openRiskTicket(target.id, target.userPrincipalName);
    const key = t.provider.externalId ?? '';
    bridgeDown = true;
    const approved = await standIn(jira.url, `/_standin/issues/${key}/approve`, { action: 'block', reason: 'approved' });
    bridgeDown = false;
    expect(approved.delivery?.status).toBe(503);

    // Before Jira retries, someone moves the issue out of Approved.
    const auth = `Basic ${Buffer.from('entra-ops@contoso.example:jira-token').toString('base64')}`;
    const listed = await fetch(`${jira.url}/rest/api/3/issue/${key}/transitions`, { headers: { authorization: auth } });
    const { transitions } = (await listed.json()) as { transitions: { id: string; to: { name: string } }[] };
    const back = transitions.find((x) => x.to.name !== 'Approved' && x.to.name !== 'Done');
    if (!back) throw new Error('no transition out of Approved');
    const moved = await fetch(`${jira.url}/rest/api/3/issue/${key}/transitions`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ transition: { id: back.id } }),
    });
    expect(moved.status).toBe(204);

    const retried = await standIn(
      jira.url,
      `/_standin/deliveries/${encodeURIComponent(approved.delivery?.deliveryId ?? '')}/redeliver`,
    );
    expect(retried.delivery?.status).toBe(409);
    expect(answer(retried)).toMatchObject({ error: { code: 'TICKET_STATUS_CHANGED' } });
    expect(JSON.stringify(answer(retried))).toContain(back.to.name);
    expect((await user(h, target.id)).accountEnabled).toBe(true);
    expect(await remediationNotes(t.ticketId)).toHaveLength(0);
  });
});
