import { randomBytes } from 'node:crypto';

import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, describe, expect, it } from 'vitest';

import { DEMO_TENANT, DEMO_USERS } from '../../local/tenants/demoIds';
import { type RiskTicket, ticketIdFor, ticketKey } from '../../shared/risk/model';
import { REMEDIATION_QUEUE } from '../../shared/runtime/remediation';
import { getServices } from '../../shared/runtime/services';
import { REMEDIATIONS_TABLE } from '../../shared/storage/remediationStore';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { BuiltinTicketProvider } from '../../shared/ticketing/builtin';
import { generateSecret, signHeaders } from '../../shared/ticketing/standardWebhooks';
import { type AppStack, stackSettings, useAppStack } from '../helpers/appStack';
import { type ChildHost, killChildren, type KillScenario } from './killHarness';
import { KILL_TEST_TIMEOUT_MS, killAndRerun, KILLS } from './killRun';

/**
 * Remediation from approved ticket callbacks, killed at KILLS points: while the delivery is claimed, the request
 * recorded, the action sent to Graph or answered, the temporary access pass issued and vaulted, the outcome written
 * to the ticket. Recovered as production recovers: the ticket system retries every delivery that got no answer (same
 * delivery id, signed again when it retries), and the retry takes over the dead delivery's claim and the subject's
 * lease once they lapse. Each approved action must be applied once (one TAP, one revocation, one block).
 */
const SECRET = generateSecret();
const harness = useAppStack((stack) => ({
  harness: stack,
  env: {
    ...stackSettings(stack, 'kill-remediation'),
    GRAPH_MAX_BACKOFF_MS: '200',
    LOG_LEVEL: 'silent',
    PASS_VAULT_KEY: randomBytes(32).toString('base64'),
    PUBLIC_BASE_URL: 'https://entra-ops.example',
    REMEDIATION_APP_DIRECTORY_ROLE: 'userAdministrator',
    TICKET_CALLBACK_SECRET_BUILTIN: SECRET,
  },
}));
afterAll(killChildren);

const APPROVALS = [
  { user: DEMO_USERS.salesManager, action: 'block' },
  { user: DEMO_USERS.smsReady, action: 'issueTap' },
  { user: DEMO_USERS.smsNoPhone, action: 'revokeSessions' },
] as const;
const EPISODE = '2026-11-30T08:00:00Z';

/** Deliveries the ticket system has not had a final answer for (2xx, or a 4xx it does not retry). */
let unanswered = new Set<number>();

async function openTickets(): Promise<void> {
  const storage = getServices().storage;
  for (const { user } of APPROVALS) {
    const key = ticketKey(DEMO_TENANT.id, user.id, EPISODE);
    const ref = await new BuiltinTicketProvider(storage).open({
      key,
      category: 'risk',
      title: 't',
      severity: 'high',
      sections: [],
    });
    const ticket: RiskTicket = {
      ticketId: ticketIdFor(user.id, EPISODE),
      key,
      tenantId: DEMO_TENANT.id,
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      kind: 'member',
      reason: 'userRisk',
      episodeStart: EPISODE,
      state: 'open',
      title: `Risky user ${user.userPrincipalName}`,
      severity: 'high',
      sections: [],
      createdAt: EPISODE,
      updatedAt: EPISODE,
      signalCount: 1,
      seen: [],
      timeline: [],
      provider: {
        provider: 'builtin',
        externalId: ref.externalId,
        pendingNotes: [],
        resolvedThere: false,
        status: 'synced',
        attempts: 0,
      },
    };
    await new TableTicketRepository(storage).open(ticket);
  }
}

/** Sends the deliveries still unanswered, signed at the child's clock, as the ticket system's retry would. */
async function deliver(child: ChildHost, clockMinutes: number): Promise<void> {
  for (const i of [...unanswered].sort()) {
    const { user, action } = APPROVALS[i] ?? APPROVALS[0];
    const raw = JSON.stringify({
      ticketId: ticketIdFor(user.id, EPISODE),
      action,
      approvedBy: 'helpdesk@contoso',
      reason: 'kill and re-run',
      approvalId: `approval-${i}`,
    });
    const headers = signHeaders(SECRET, `msg_kill_${i}`, raw, Date.now() + clockMinutes * 60_000);
    const res = await fetch(`${child.url}/api/tickets/callback/builtin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw,
    });
    await res.text();
    if (res.status < 500) unanswered.delete(i);
  }
}

interface RequestRow {
  requestId?: string;
  action?: string;
  userId?: string;
  state?: string;
  outcomeJson?: string;
}

const INTERRUPTED = 'REMEDIATION_INTERRUPTED';
const codeOf = (r: RequestRow) => (r.outcomeJson ? (JSON.parse(r.outcomeJson) as { code?: string }).code : undefined);

async function requests(h: AppStack): Promise<RequestRow[]> {
  const table = TableClient.fromConnectionString(h.azurite.connectionString, REMEDIATIONS_TABLE, {
    allowInsecureConnection: true,
  });
  const rows: RequestRow[] = [];
  try {
    for await (const e of table.listEntities<RequestRow>()) if (e.requestId && e.state) rows.push(e);
  } catch {
    return [];
  }
  return rows;
}

async function remediationDone(h: AppStack): Promise<boolean> {
  if (unanswered.size > 0) return false;
  const queue = new QueueClient(h.azurite.connectionString, REMEDIATION_QUEUE);
  if ((await queue.exists()) && (await queue.getProperties()).approximateMessagesCount !== 0) return false;
  const rows = await requests(h);
  // Finished: done, or (a TAP whose runner died after sending its Graph write) reported for a new approval.
  return (
    rows.length === APPROVALS.length &&
    rows.every((r) => r.state === 'succeeded' || (r.state === 'failed' && codeOf(r) === INTERRUPTED))
  );
}

interface RemediationSnapshot {
  readonly requests: string[];
  readonly users: string[];
  readonly notes: string[];
}

const scenario: KillScenario<RemediationSnapshot> = {
  name: 'remediation-callbacks',
  targets: ['graph', 'storage'],
  functions: ['ticketCallback', 'remediationWorker'],
  async setup() {
    unanswered = new Set(APPROVALS.map((_, i) => i));
    await openTickets();
  },
  start: (child) => deliver(child, 20),
  recovery: [{ clockMinutes: 40, run: (child) => deliver(child, 40), settled: remediationDone }],
  done: remediationDone,
  async snapshot(h) {
    const users: string[] = [];
    for (const { user } of APPROVALS) {
      const get = async (p: string) =>
        (await (
          await fetch(`${h.sandbox.url}/v1.0${p}`, { headers: { authorization: 'Bearer kill-remediation' } })
        ).json()) as Record<string, unknown>;
      const u = await get(`/users/${user.id}?$select=accountEnabled,signInSessionsValidFromDateTime`);
      const taps = (await get(`/users/${user.id}/authentication/temporaryAccessPassMethods`)).value as unknown[];
      users.push(
        `${user.id} enabled=${String(u.accountEnabled)} revoked=${String(Boolean(u.signInSessionsValidFromDateTime))} taps=${taps.length}`,
      );
    }
    const tickets = await new TableTicketRepository(getServices().storage).list({});
    return {
      requests: (await requests(h))
        .map((r) => `${r.userId ?? ''} ${r.action ?? ''} ${r.state ?? ''} ${codeOf(r) ?? ''}`.trim())
        .sort(),
      users: users.sort(),
      // One remediation note per approved action on its ticket.
      notes: tickets.flatMap((t) => t.timeline.filter((e) => e.source === 'remediation').map(() => `${t.userId} note`)).sort(),
    };
  },
  items: (s) => [...s.requests.map((r) => `request ${r}`), ...s.notes.map((n) => `note ${n}`)],
  // Known gap, reported: an action whose Graph write was applied but whose outcome was not stored yet is run again by
  // the retried delivery. Blocking (a PATCH of accountEnabled) is idempotent, so it is counted, not failed; a second
  // TAP or revocation is still a failure.
  resendTolerated: (key) => /^PATCH \/users\/[^/ ]+$/.test(key),
  // Reported, by design: a TAP whose runner died after its Graph write was sent is not issued again (a second pass
  // nobody approved); the request ends REMEDIATION_INTERRUPTED and the ticket note asks for a new approval.
  reportedEnd: (s) => (s.requests.some((r) => r.endsWith(INTERRUPTED)) ? 'interruptedAfterWrite' : undefined),
};

describe('remediation from approved callbacks killed and re-run', () => {
  it(
    `applies each approved action once (block, TAP, revocation) from ${KILLS} kill points`,
    async () => {
      const figures = await killAndRerun(scenario, harness.current, {});
      expect(figures.duplicateWrites).toBe(0);
      expect(figures.lost).toBe(0);
      expect(figures.extra).toBe(0);
      expect(figures.runsKilled).toBe(KILLS);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
