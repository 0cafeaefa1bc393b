import { describe, expect, it } from 'vitest';

import { DEMO_USERS } from '../../local/tenants/demoIds';
import { generateDemoTenant } from '../../local/tenants/generateDemo';
import { useStack } from '../helpers/stack';

/**
 * A user who is both in an Event Grid delivery and in the poll, through the local host (the same function definitions
 * as Azure), Azurite and the demo tenant in the Graph sandbox, in both orders: the two paths meet in one handler and
 * one open-ticket slot, so the user gets exactly one ticket, updated once by the later path, with both signals on its
 * timeline. The sandbox runs 50 times faster and the gateway's pacing is scaled to match.
 */
const SCALE = '50';
const stack = useStack({ knobs: { timeScale: Number(SCALE) }, env: { GRAPH_PACING_TIME_SCALE: SCALE } });
const demo = generateDemoTenant();

interface Ticket {
  ticketId: string;
  userId: string;
  state: string;
  timeline: { type: string; source: string; text: string; reference?: string }[];
}

async function api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.current.apiUrl}/api${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
}
const tickets = async (userId: string): Promise<Ticket[]> =>
  (await api<{ value: Ticket[] }>(`/tickets?userId=${userId}`)).body.value;
const detail = async (ticketId: string): Promise<Ticket> => (await api<Ticket>(`/tickets/${ticketId}`)).body;
const poll = () =>
  api<{ opened: number; updated: number; errors: unknown[] }>('/risk/poll', { method: 'POST' }).then((r) => r.body);

async function deliver(id: string, data: unknown): Promise<number> {
  const res = await fetch(`${stack.current.apiUrl}/runtime/webhooks/eventgrid?functionName=riskEvents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify([
      {
        id,
        eventType: 'Contoso.Risk.UserFlagged',
        subject: 'users',
        eventTime: new Date().toISOString(),
        data,
        dataVersion: '1',
      },
    ]),
  });
  await res.text();
  return res.status;
}

/** The one ticket of the user, and its timeline's signal sources and update count. */
async function onlyTicket(userId: string) {
  const list = await tickets(userId);
  expect(list).toHaveLength(1);
  const t = await detail(list[0]?.ticketId ?? '');
  return {
    state: t.state,
    signalSources: t.timeline.filter((e) => e.type === 'signal').map((e) => e.source),
    updates: t.timeline.filter((e) => e.type === 'updated').length,
    opened: t.timeline.filter((e) => e.type === 'opened').length,
    references: t.timeline.map((e) => e.reference).filter(Boolean),
  };
}

describe('a user both in an Event Grid delivery and in the poll', () => {
  // Both are at risk in the demo tenant's riskyUsers, so the poll sees them too.
  const eventFirst = DEMO_USERS.confirmedCompromised;
  const pollFirst = DEMO_USERS.riskyHigh;

  it('event first, then the poll: one ticket, updated by the poll, with both signals', async () => {
    const riskyUser = demo.riskyUsers.find((r) => r.id === eventFirst.id);
    expect(riskyUser).toBeDefined();
    expect(await deliver('both-1', riskyUser)).toBe(202);
    const afterEvent = await onlyTicket(eventFirst.id);
    expect(afterEvent).toMatchObject({ state: 'open', opened: 1, updates: 0 });
    expect(afterEvent.signalSources).toEqual(['event:Contoso.Risk.UserFlagged']);

    const summary = await poll();
    expect(summary.errors).toEqual([]);
    const after = await onlyTicket(eventFirst.id);
    expect(after).toMatchObject({ state: 'open', opened: 1, updates: 1 });
    expect(after.signalSources).toEqual(['event:Contoso.Risk.UserFlagged', 'poll']);
    expect(after.references).toContain('both-1');

    // The poll opened the other at-risk users' tickets, but not a second one for this user.
    expect((await onlyTicket(pollFirst.id)).signalSources).toEqual(['poll']);
  });

  it('poll first, then the event: one ticket, updated by the event, with both signals', async () => {
    expect(await deliver('both-2', { userId: pollFirst.id, riskLevel: 'high', source: 'Sentinel' })).toBe(202);
    const after = await onlyTicket(pollFirst.id);
    expect(after).toMatchObject({ state: 'open', opened: 1, updates: 1 });
    expect(after.signalSources).toEqual(['poll', 'event:Sentinel']);

    // A poll with nothing new afterwards leaves both tickets as they are.
    const again = await poll();
    expect(again).toMatchObject({ opened: 0, updated: 0, errors: [] });
    expect((await onlyTicket(pollFirst.id)).updates).toBe(1);
    expect((await onlyTicket(eventFirst.id)).updates).toBe(1);
  });
});
