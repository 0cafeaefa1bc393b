import { describe, expect, it } from 'vitest';

import { pickHomeTenantBlockedGuests } from '../../local/tenants/demoHomeTenantBlocks';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { generateDemoTenant } from '../../local/tenants/generateDemo';
import { useStack } from '../helpers/stack';

/**
 * The "done when", end to end through the local host (the same function definitions as Azure), Azurite and
 * the demo tenant in the Graph sandbox: the first poll opens one built-in ticket per at-risk user and per guest
 * blocked with 53011; an Event Grid delivery for a new risky user opens one more; a second delivery updates it; a
 * dismissal in the sandbox resolves the ticket on the next poll. The sandbox runs 50 times faster and the gateway's
 * pacing is scaled to match, so the 1 request/s and 5 per 10 s budgets still apply, compressed.
 */
const SCALE = '50';
const stack = useStack({ knobs: { timeScale: Number(SCALE) }, env: { GRAPH_PACING_TIME_SCALE: SCALE } });

interface TicketSummary {
  ticketId: string;
  userId: string;
  kind: 'member' | 'guest';
  reason: string;
  state: string;
  provider: { provider: string; externalId?: string; status: string };
}
interface TicketDetail extends TicketSummary {
  title: string;
  sections: { heading: string; lines: string[] }[];
  timeline: { type: string; source: string; text: string }[];
  resolution?: string;
}

const demo = generateDemoTenant();
const atRisk = demo.riskyUsers.filter((r) => r.riskState === 'atRisk' || r.riskState === 'confirmedCompromised');
const blockedGuests = pickHomeTenantBlockedGuests(demo.users, demo.riskyUsers);

async function api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.current.apiUrl}/api${path}`, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
const tickets = async (query = ''): Promise<TicketSummary[]> =>
  (await api<{ value: TicketSummary[] }>(`/tickets${query}`)).body.value;
const poll = () =>
  api<{ opened: number; updated: number; resolved: number; errors: unknown[] }>('/risk/poll', { method: 'POST' });

async function deliver(events: unknown, headers: Record<string, string> = { 'aeg-event-type': 'Notification' }): Promise<number> {
  const root = stack.current.apiUrl;
  const res = await fetch(`${root}/runtime/webhooks/eventgrid?functionName=riskEvents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(events),
  });
  await res.text();
  return res.status;
}

const eventFor = (id: string, data: unknown) => [
  { id, eventType: 'Contoso.Risk.UserFlagged', subject: 'users', eventTime: new Date().toISOString(), data, dataVersion: '1' },
];

describe('risk tickets end to end (local host + Azurite + Graph sandbox)', () => {
  const newRisky = DEMO_USERS.countryBlocked;

  it('first poll: one built-in ticket per at-risk user and per guest blocked with 53011', async () => {
    const first = await poll();
    expect(first.status).toBe(200);
    expect(first.body.errors).toEqual([]);
    const all = await tickets();
    expect(all).toHaveLength(atRisk.length + blockedGuests.length);
    expect(new Set(all.map((t) => t.userId)).size).toBe(all.length);
    expect(all.every((t) => t.state === 'open' && t.provider.provider === 'builtin' && t.provider.status === 'synced')).toBe(
      true,
    );
    const home = all.filter((t) => t.reason === 'homeTenantBlock');
    expect(home.map((t) => t.userId).sort()).toEqual(blockedGuests.map((g) => g.id).sort());
    expect(home.every((t) => t.kind === 'guest')).toBe(true);
    expect((await tickets('?kind=guest')).length).toBe(all.filter((t) => t.kind === 'guest').length);

    // Guest text says the home tenant must act; member text gives the member remediation.
    const guest = (await api<TicketDetail>(`/tickets/${home[0]?.ticketId ?? ''}`)).body;
    const guestText = guest.sections.flatMap((s) => s.lines).join('\n');
    expect(guestText).toMatch(/home tenant/);
    expect(guestText).toMatch(/user\.userType -eq "Guest"/);
    expect(guestText).toMatch(/53011/);
    const member = all.find((t) => t.userId === DEMO_USERS.riskyHigh.id);
    const memberDetail = (await api<TicketDetail>(`/tickets/${member?.ticketId ?? ''}`)).body;
    expect(memberDetail.sections.flatMap((s) => s.lines).join('\n')).toMatch(/10–15 minutes/);

    // A second poll with nothing new changes nothing.
    const second = await poll();
    expect(second.body).toMatchObject({ opened: 0, updated: 0, resolved: 0 });
    expect(await tickets()).toHaveLength(all.length);
  });

  it('an Event Grid delivery for a new risky user opens one ticket; a second delivery updates it; a replay does nothing', async () => {
    const before = (await tickets()).length;
    expect(await deliver(eventFor('evt-1', { userId: newRisky.id, riskLevel: 'high', source: 'Sentinel' }))).toBe(202);
    const opened = await tickets(`?userId=${newRisky.id}`);
    expect(opened).toHaveLength(1);
    expect(await tickets()).toHaveLength(before + 1);

    expect(await deliver(eventFor('evt-2', { userPrincipalName: newRisky.userPrincipalName, riskLevel: 'high' }))).toBe(202);
    expect(await deliver(eventFor('evt-2', { userPrincipalName: newRisky.userPrincipalName, riskLevel: 'high' }))).toBe(202);
    const after = await tickets(`?userId=${newRisky.id}`);
    expect(after).toHaveLength(1);
    const detail = (await api<TicketDetail>(`/tickets/${after[0]?.ticketId ?? ''}`)).body;
    expect(detail.timeline.filter((e) => e.type === 'updated')).toHaveLength(1);
    expect(detail.timeline.filter((e) => e.type === 'signal')).toHaveLength(2);
    expect(await tickets()).toHaveLength(before + 1);
  });

  it('a risk dismissed in the sandbox resolves its ticket on the next poll; a new episode opens a new ticket', async () => {
    const target = DEMO_USERS.riskyHigh.id;
    const res = await fetch(`${stack.current.sandboxUrl}/v1.0/identityProtection/riskyUsers/dismiss`, {
      method: 'POST',
      headers: { authorization: 'Bearer another-app', 'content-type': 'application/json' },
      body: JSON.stringify({ userIds: [target] }),
    });
    expect(res.status).toBe(204);
    const next = await poll();
    expect(next.body.resolved).toBeGreaterThanOrEqual(1);
    const mine = await tickets(`?userId=${target}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.state).toBe('resolved');
    const detail = (await api<TicketDetail>(`/tickets/${mine[0]?.ticketId ?? ''}`)).body;
    expect(detail.resolution).toMatch(/dismissed \(adminDismissedAllRiskForUser\)/);

    // Risk again later: a new episode, a new ticket; the resolved one stays resolved.
    expect(await deliver(eventFor('evt-3', { userId: target, riskLevel: 'medium' }))).toBe(202);
    const episodes = await tickets(`?userId=${target}`);
    expect(episodes.map((t) => t.state).sort()).toEqual(['open', 'resolved']);
  });

  it('GET /api/tickets refuses bad filters and unknown ids with the error model', async () => {
    const bad = await api<{ error: { code: string } }>('/tickets?kind=robot');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_QUERY');
    const badId = await api<{ error: { code: string } }>('/tickets/not-a-ticket');
    expect(badId.status).toBe(400);
    const missing = await api<{ error: { code: string } }>(`/tickets/${newRisky.id}.20200101T000000Z`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TICKET_NOT_FOUND');
  });
});
