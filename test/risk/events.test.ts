import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { DEMO_USERS } from '../../local/tenants/demoIds';
import { generateDemoTenant } from '../../local/tenants/generateDemo';
import { useStack } from '../helpers/stack';

/**
 * Event Grid deliveries to `riskEvents` through the local host's Event Grid webhook (both schemas, single and batched),
 * with Azurite and the demo tenant: each recognised shape, unknown data, malformed events, unknown and deleted users,
 * replays and racing duplicates.
 */
const SCALE = 50;
const stack = useStack({ knobs: { timeScale: SCALE }, env: { GRAPH_PACING_TIME_SCALE: String(SCALE) } });
const demo = generateDemoTenant();

interface Ticket {
  ticketId: string;
  userId: string;
  state: string;
  reason: string;
  timeline?: { type: string; text: string; reference?: string }[];
  resolution?: string;
}

async function tickets(userId: string): Promise<Ticket[]> {
  const res = await fetch(`${stack.current.apiUrl}/api/tickets?userId=${userId}`);
  return ((await res.json()) as { value: Ticket[] }).value;
}
async function ticket(ticketId: string): Promise<Ticket> {
  return (await (await fetch(`${stack.current.apiUrl}/api/tickets/${ticketId}`)).json()) as Ticket;
}

async function post(body: unknown, contentType: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${stack.current.apiUrl}/runtime/webhooks/eventgrid?functionName=riskEvents`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  await res.text();
  return res.status;
}
const eventGrid = (events: unknown[]) => post(events, 'application/json', { 'aeg-event-type': 'Notification' });
const egEvent = (data: unknown, id: string = randomUUID()) => ({
  id,
  eventType: 'Custom.Risk',
  subject: 'risk',
  eventTime: new Date().toISOString(),
  topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/entra-risk',
  data,
  dataVersion: '1',
});
const cloudEvent = (data: unknown, id: string = randomUUID()) => ({
  specversion: '1.0',
  id,
  type: 'Custom.Risk',
  source: '/sentinel/playbooks/risk',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data,
});

const ordinaryMembers = demo.users
  .filter((u) => u.userType === 'Member' && u.accountEnabled && !demo.riskyUsers.some((r) => r.id === u.id))
  .map((u) => ({ id: u.id ?? '', upn: u.userPrincipalName ?? '' }));
let nextMember = 0;
const freshMember = () => {
  const m = ordinaryMembers[nextMember++];
  if (!m) throw new Error('out of demo members');
  return m;
};

describe('riskEvents: shapes', () => {
  it('a Graph riskyUser in a single CloudEvent opens a ticket', async () => {
    const riskyUser = demo.riskyUsers.find((r) => r.id === DEMO_USERS.riskyHigh.id);
    expect(await post(cloudEvent(riskyUser), 'application/cloudevents+json; charset=utf-8')).toBe(202);
    expect(await tickets(DEMO_USERS.riskyHigh.id)).toEqual([expect.objectContaining({ state: 'open', reason: 'userRisk' })]);
  });

  it('a riskDetection in a CloudEvents batch re-checks the user in Graph and opens a ticket', async () => {
    const detection = demo.riskDetections.find((d) => d.userId === DEMO_USERS.confirmedCompromised.id);
    const other = freshMember();
    const status = await post(
      [cloudEvent(detection), cloudEvent({ ...detection, id: 'not-risky', userId: other.id })],
      'application/cloudevents-batch+json',
    );
    expect(status).toBe(202);
    expect(await tickets(DEMO_USERS.confirmedCompromised.id)).toHaveLength(1);
    // Graph has no risk for the other user: nothing is opened on a detection alone.
    expect(await tickets(other.id)).toEqual([]);
  });

  it('a Sentinel incident opens a ticket for each at-risk Account entity (aadUserId)', async () => {
    const atRisk = demo.riskyUsers.filter((r) => r.riskState === 'atRisk' && r.riskLevel === 'medium');
    const notRisky = freshMember();
    const incident = {
      eventUniqueId: randomUUID(),
      objectSchemaType: 'Incident',
      objectEventType: 'Create',
      object: {
        id: '/subscriptions/x/incidents/1',
        name: randomUUID(),
        properties: {
          title: 'Unfamiliar sign-in properties',
          severity: 'Medium',
          incidentNumber: 4242,
          relatedEntities: [
            { kind: 'Account', properties: { aadUserId: atRisk[0]?.id, accountName: 'x', upnSuffix: 'y' } },
            { kind: 'Account', properties: { aadUserId: notRisky.id } },
            { kind: 'Ip', properties: { address: '192.0.2.1' } },
          ],
        },
      },
    };
    expect(await eventGrid([egEvent(incident)])).toBe(202);
    const opened = await tickets(atRisk[0]?.id ?? '');
    expect(opened).toHaveLength(1);
    const detail = await ticket(opened[0]?.ticketId ?? '');
    expect(detail.timeline?.some((e) => e.reference?.includes('Sentinel incident 4242'))).toBe(true);
    expect(await tickets(notRisky.id)).toEqual([]);
  });

  it('a Graph users change notification is a re-check: no risk, no ticket', async () => {
    const m = freshMember();
    const change = {
      changeType: 'updated',
      resource: `users/${m.id}`,
      resourceData: { '@odata.type': '#Microsoft.Graph.User', '@odata.id': `Users/${m.id}`, id: m.id },
      subscriptionId: randomUUID(),
      tenantId: demo.tenant.id,
    };
    expect(await post(cloudEvent(change), 'application/cloudevents+json')).toBe(202);
    expect(await tickets(m.id)).toEqual([]);
  });

  it('data of no known shape is acknowledged and opens nothing', async () => {
    expect(await eventGrid([egEvent({ hello: 'world' }), egEvent('a string'), egEvent([1, 2])])).toBe(202);
  });
});

describe('riskEvents: bad input and faults', () => {
  it('a malformed envelope or batch is refused with 400 so Event Grid dead-letters it', async () => {
    expect(await eventGrid([{ eventType: 'x', subject: 's', eventTime: 'now', data: {} }])).toBe(400);
    expect(await post('{not json', 'application/json', { 'aeg-event-type': 'Notification' })).toBe(400);
    expect(await post({ specversion: '1.0', id: 'x' }, 'application/cloudevents-batch+json')).toBe(400);
    expect(await eventGrid([])).toBe(400);
  });

  it('data that claims a shape and breaks it fails the delivery (retried, then dead-lettered) and opens nothing', async () => {
    const m = freshMember();
    const bad = egEvent({ id: m.id, riskState: 'atRisk', riskLevel: 'banana' });
    expect(await eventGrid([bad])).toBe(500);
    expect(await eventGrid([bad])).toBe(500);
    expect(await tickets(m.id)).toEqual([]);
  });

  it('an unknown user is acknowledged without a ticket', async () => {
    const ghost = randomUUID();
    expect(await eventGrid([egEvent({ userId: ghost, riskLevel: 'high' })])).toBe(202);
    expect(await eventGrid([egEvent({ userPrincipalName: 'ghost@contosodemo.onmicrosoft.com' })])).toBe(202);
    expect(await tickets(ghost)).toEqual([]);
  });

  it('a user deleted while their ticket is open: the next signal resolves the ticket', async () => {
    const m = freshMember();
    expect(await eventGrid([egEvent({ userId: m.id, riskLevel: 'high' })])).toBe(202);
    expect(await tickets(m.id)).toHaveLength(1);
    const del = await fetch(`${stack.current.sandboxUrl}/v1.0/users/${m.id}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    expect(del.status).toBe(204);
    expect(await eventGrid([egEvent({ userId: m.id, riskLevel: 'high' })])).toBe(202);
    const [t] = await tickets(m.id);
    expect(t?.state).toBe('resolved');
    expect((await ticket(t?.ticketId ?? '')).resolution).toMatch(/no longer exists/);
  });

  it('a replayed event id is handled once', async () => {
    const m = freshMember();
    const first = egEvent({ userId: m.id, riskLevel: 'medium' }, 'replayed-id');
    expect(await eventGrid([first])).toBe(202);
    expect(await eventGrid([first, first])).toBe(202);
    const [t] = await tickets(m.id);
    const detail = await ticket(t?.ticketId ?? '');
    expect(detail.timeline?.filter((e) => e.type === 'signal')).toHaveLength(1);
  });

  it('racing deliveries for the same users open exactly one ticket per user', async () => {
    const users = [freshMember(), freshMember(), freshMember(), freshMember()];
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => eventGrid([egEvent({ userId: users[i % users.length]?.id, riskLevel: 'high' })])),
    );
    expect(statuses).toEqual(statuses.map(() => 202));
    for (const u of users) {
      const list = await tickets(u.id);
      expect(list).toHaveLength(1);
      expect(list[0]?.state).toBe('open');
    }
  });
});
