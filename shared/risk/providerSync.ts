/**
 * Brings the configured ticket system in step with our ticket record (an outbox): open it there once, post the notes
 * still pending, resolve it when the episode ended. Every step is idempotent (open by the stable key, notes by id),
 * so a retry after a half-finished attempt repeats nothing. An outage (5xx, timeout, 429) is retried from the queue
 * with backoff; a refusal (bad credentials, a rejected field) is recorded for /api/health and not retried in a loop.
 */
import { type TicketDraft, type TicketProvider, TicketProviderError, type TicketRef } from '../ticketing/port';
import type { RiskTicket } from './model';
import type { ProviderRetryQueue, RiskStateStore, TicketRepository } from './ports';

export interface ProviderSyncDeps {
  readonly tickets: TicketRepository;
  readonly provider: TicketProvider;
  readonly retries: ProviderRetryQueue;
  readonly state: RiskStateStore;
  readonly now: () => Date;
}

/** Retries from the queue: 30 s doubling to 1 h, for about a day; then the ticket is marked failed in health. */
export const MAX_PROVIDER_ATTEMPTS = 30;
const BASE_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;

export function providerRetryDelay(attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(MAX_RETRY_MS, BASE_RETRY_MS * 2 ** Math.min(attempt, 20));
  return Math.max(backoff, Math.min(MAX_RETRY_MS, retryAfterMs ?? 0));
}

export function draftOf(t: RiskTicket): TicketDraft {
  return {
    key: t.key,
    category: 'risk',
    title: t.title,
    severity: t.severity,
    sections: t.sections,
    facts: {
      ticketId: t.ticketId,
      tenantId: t.tenantId,
      userId: t.userId,
      userPrincipalName: t.userPrincipalName,
      kind: t.kind,
      reason: t.reason,
      episodeStart: t.episodeStart,
      riskLevel: t.riskLevel ?? null,
      riskState: t.riskState ?? null,
    },
  };
}

const refOf = (t: RiskTicket): TicketRef | undefined =>
  t.provider.externalId === undefined
    ? undefined
    : {
        provider: t.provider.provider as TicketRef['provider'],
        externalId: t.provider.externalId,
        ...(t.provider.displayId ? { displayId: t.provider.displayId } : {}),
        ...(t.provider.url ? { url: t.provider.url } : {}),
      };

export type SyncOutcome = 'synced' | 'retrying' | 'failed' | 'missing';

export async function syncProvider(deps: ProviderSyncDeps, ticketId: string, attempt = 0): Promise<SyncOutcome> {
  const ticket = await deps.tickets.get(ticketId);
  if (!ticket) return 'missing';
  try {
    await pushTicket(deps, ticket);
  } catch (e) {
    return recordFailure(deps, ticketId, attempt, e);
  }
  await deps.tickets.update(ticketId, (t) => ({
    ...t,
    provider: { ...t.provider, status: t.provider.pendingNotes.length === 0 ? 'synced' : 'pending', attempts: 0 },
  }));
  const facts = await deps.state.getTenantFacts();
  if (facts?.providerProblem) {
    const { providerProblem: _cleared, ...rest } = facts;
    await deps.state.setTenantFacts(rest);
  }
  return 'synced';
}

async function pushTicket(deps: ProviderSyncDeps, ticket: RiskTicket): Promise<void> {
  let ref = refOf(ticket);
  if (!ref) {
    const opened = await deps.provider.open(draftOf(ticket));
    ref = opened;
    await deps.tickets.update(ticket.ticketId, (t) => ({
      ...t,
      provider: {
        ...t.provider,
        provider: opened.provider,
        externalId: opened.externalId,
        ...(opened.displayId ? { displayId: opened.displayId } : {}),
        ...(opened.url ? { url: opened.url } : {}),
      },
    }));
  }
  for (const note of ticket.provider.pendingNotes) {
    await deps.provider.addNote(ref, note);
    await deps.tickets.update(ticket.ticketId, (t) => ({
      ...t,
      provider: { ...t.provider, pendingNotes: t.provider.pendingNotes.filter((n) => n.noteId !== note.noteId) },
    }));
  }
  if (ticket.state === 'resolved' && !ticket.provider.resolvedThere) {
    await deps.provider.resolve(ref, { noteId: `${ticket.ticketId}:resolve`, text: ticket.resolution ?? 'Resolved.' });
    await deps.tickets.update(ticket.ticketId, (t) => ({ ...t, provider: { ...t.provider, resolvedThere: true } }));
  }
}

async function recordFailure(deps: ProviderSyncDeps, ticketId: string, attempt: number, e: unknown): Promise<SyncOutcome> {
  const message = e instanceof Error ? e.message : String(e);
  const refused = e instanceof TicketProviderError && !e.retryable;
  const exhausted = attempt + 1 >= MAX_PROVIDER_ATTEMPTS;
  const status = refused || exhausted ? 'failed' : 'pending';
  await deps.tickets.update(ticketId, (t) => ({
    ...t,
    provider: { ...t.provider, status, lastError: message, attempts: t.provider.attempts + 1 },
  }));
  if (status === 'failed') {
    const facts = await deps.state.getTenantFacts();
    await deps.state.setTenantFacts({
      p2: facts?.p2 ?? 'unknown',
      checkedAt: facts?.checkedAt ?? deps.now().toISOString(),
      missingPermissions: facts?.missingPermissions ?? [],
      providerProblem: { provider: deps.provider.name, message, at: deps.now().toISOString() },
    });
    return 'failed';
  }
  const retryAfter = e instanceof TicketProviderError ? e.retryAfterMs : undefined;
  await deps.retries.schedule(ticketId, attempt + 1, providerRetryDelay(attempt, retryAfter));
  return 'retrying';
}
