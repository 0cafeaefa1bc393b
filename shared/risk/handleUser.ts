/**
 * The one idempotent handler both signal paths (Event Grid and the poller) feed: for one user and the signals about
 * them, read what is needed, decide the episode (episode.ts), then open, update or resolve the user's ticket and bring
 * the ticket system in step. Racing signals for one user meet at the repository's open slot: only one opens a ticket,
 * the others update it.
 */
import type { Logger } from '../log';
import { decideEpisode } from './episode';
import { RiskAccessDenied } from './errors';
import {
  MAX_TIMELINE,
  type MinimumLevel,
  type RiskSignal,
  type RiskTicket,
  type RiskView,
  type SignInFacts,
  ticketIdFor,
  ticketKey,
  type TimelineEntry,
  type UserFacts,
} from './model';
import type { RiskReader, RiskStateStore, SignInReader, TicketRepository, UserDirectory } from './ports';
import { type ProviderSyncDeps, syncProvider } from './providerSync';
import { type Enrichment, ticketText } from './ticketText';

export interface RiskSettings {
  readonly tenantId: string;
  readonly minLevel: MinimumLevel;
  readonly lookbackDays: number;
  /** Users per run whose sign-ins are read for a new ticket (sign-in logs allow 5 requests per 10 s). */
  readonly signInEnrichMax: number;
  /** Read sign-ins failed with 53011 (guests blocked for home-tenant risk). */
  readonly blockedGuests: boolean;
}

export interface RiskDeps extends ProviderSyncDeps {
  readonly risk: RiskReader;
  readonly signIns: SignInReader;
  readonly users: UserDirectory;
  readonly tickets: TicketRepository;
  readonly state: RiskStateStore;
  readonly settings: RiskSettings;
  readonly log: Logger;
}

/** Per-run budget shared by every user handled in one poll or one event. */
export interface RunBudget {
  signInReads: number;
}

export type UserOutcome = {
  readonly userId?: string;
  readonly action: 'opened' | 'updated' | 'resolved' | 'unchanged' | 'ignored';
  readonly ticketId?: string;
  readonly why?: string;
};

const DETECTIONS_PER_TICKET = 10;
const SIGNINS_PER_TICKET = 10;
/** Detection and sign-in ids remembered per ticket, so a poll that sees nothing new adds nothing. */
const MAX_SEEN = 500;

function userRef(signals: readonly RiskSignal[]): { id?: string; userPrincipalName?: string } {
  const id = signals.find((s) => s.user.id)?.user.id;
  const upn = signals.find((s) => s.user.userPrincipalName)?.user.userPrincipalName;
  return { ...(id ? { id } : {}), ...(upn ? { userPrincipalName: upn } : {}) };
}

/** Stated risk from the latest signal that states one; otherwise Graph is asked when a signal wants a re-check. */
async function currentView(deps: RiskDeps, user: UserFacts, signals: readonly RiskSignal[]): Promise<RiskView | undefined> {
  const stated = [...signals].reverse().find((s) => s.kind === 'risk' && s.risk?.state !== undefined)?.risk;
  if (stated) return stated;
  if (!signals.some((s) => s.kind === 'recheck')) return undefined;
  try {
    return await deps.risk.riskOf(user.id);
  } catch (e) {
    if (!(e instanceof RiskAccessDenied)) throw e;
    // No P2 or no permission: keep the ticket flowing from what the signals carry; health says why.
    deps.log.warn({ route: e.route, permission: e.permission }, 'risk: riskyUser read refused');
    return signals.some((s) => (s.detections?.length ?? 0) > 0) ? { state: 'atRisk', level: 'hidden' } : undefined;
  }
}

async function enrich(deps: RiskDeps, user: UserFacts, signals: readonly RiskSignal[], budget: RunBudget): Promise<Enrichment> {
  const since = new Date(deps.now().getTime() - deps.settings.lookbackDays * 86_400_000).toISOString();
  let detections = signals.flatMap((s) => s.detections ?? []);
  if (detections.length === 0 && signals.some((s) => s.kind !== 'homeTenantBlock' && s.source !== 'poll')) {
    detections = await deps.risk.recentDetections(user.id, DETECTIONS_PER_TICKET).catch((e: unknown) => {
      if (e instanceof RiskAccessDenied) return [];
      throw e;
    });
  }
  let signIns: SignInFacts[] = signals.flatMap((s) => s.signIns ?? []);
  let signInsNote: string | undefined;
  if (budget.signInReads > 0) {
    budget.signInReads--;
    const read = await deps.signIns.recentProblems(user.id, since, SIGNINS_PER_TICKET).catch((e: unknown) => {
      if (e instanceof RiskAccessDenied) {
        signInsNote = `Sign-ins not read: ${e.message}.`;
        return [];
      }
      throw e;
    });
    const known = new Set(signIns.map((s) => s.id));
    signIns = [...signIns, ...read.filter((s) => !known.has(s.id))];
  } else {
    signInsNote = 'Sign-ins not read for this ticket (per-run limit of sign-in log reads reached); see the sign-in logs.';
  }
  const [authMethods, privilegedRoles, sponsors, facts] = await Promise.all([
    deps.users.authMethods(user.id),
    deps.users.privilegedRoles(user.id),
    user.kind === 'guest' ? deps.users.sponsors(user.id) : Promise.resolve(undefined),
    deps.state.getTenantFacts(),
  ]);
  return {
    detections: detections.slice(0, DETECTIONS_PER_TICKET),
    signIns: signIns.slice(0, SIGNINS_PER_TICKET),
    ...(signInsNote ? { signInsNote } : {}),
    authMethods,
    privilegedRoles,
    ...(sponsors ? { sponsors } : {}),
    p2Absent: facts?.p2 === 'absent',
  };
}

function signalEntries(signals: readonly RiskSignal[]): TimelineEntry[] {
  return signals.map((s) => ({
    at: s.at,
    type: 'signal' as const,
    source: s.source,
    text:
      s.kind === 'homeTenantBlock'
        ? `Sign-in blocked for home-tenant risk (53011)${s.signIns?.[0] ? ` at ${s.signIns[0].createdDateTime}` : ''}`
        : s.kind === 'recheck'
          ? `Re-check requested${s.detections?.[0] ? `: detection ${s.detections[0].riskEventType}` : ''}`
          : `Risk reported: level ${s.risk?.level ?? 'not given'}, state ${s.risk?.state ?? 'not given'}`,
    ...(s.reference ? { reference: s.reference } : {}),
  }));
}

const seenIds = (signals: readonly RiskSignal[]): string[] =>
  signals.flatMap((s) => [...(s.detections ?? []).map((d) => `d:${d.id}`), ...(s.signIns ?? []).map((x) => `s:${x.id}`)]);

async function openTicket(
  deps: RiskDeps,
  user: UserFacts,
  reason: RiskTicket['reason'],
  view: RiskView | undefined,
  signals: readonly RiskSignal[],
  budget: RunBudget,
): Promise<UserOutcome> {
  const now = deps.now().toISOString();
  // The episode starts when we first see it; the slot claim, not the timestamp, keeps racing signals to one ticket.
  const episodeStart = now.replace(/\.\d+Z$/, 'Z');
  const enrichment = await enrich(deps, user, signals, budget);
  const text = ticketText({
    user,
    reason,
    ...(view?.level ? { level: view.level } : {}),
    ...(view?.state ? { state: view.state } : {}),
    ...(view?.detail ? { detail: view.detail } : {}),
    enrichment,
  });
  const ticketId = ticketIdFor(user.id, episodeStart);
  const ticket: RiskTicket = {
    ticketId,
    key: ticketKey(deps.settings.tenantId, user.id, episodeStart),
    tenantId: deps.settings.tenantId,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    ...(user.displayName ? { displayName: user.displayName } : {}),
    kind: user.kind,
    reason,
    episodeStart,
    state: 'open',
    ...(view?.level ? { riskLevel: view.level } : {}),
    ...(view?.state ? { riskState: view.state } : {}),
    ...(view?.detail ? { riskDetail: view.detail } : {}),
    title: text.title,
    severity: text.severity,
    sections: text.sections,
    createdAt: now,
    updatedAt: now,
    signalCount: signals.length,
    seen: seenIds(signals).slice(-MAX_SEEN),
    timeline: [...signalEntries(signals), { at: now, type: 'opened', source: 'entra-ops', text: text.title }],
    provider: { provider: deps.provider.name, pendingNotes: [], resolvedThere: false, status: 'pending', attempts: 0 },
  };
  const result = await deps.tickets.open(ticket);
  if (!result.created) return updateTicket(deps, user, view, signals);
  await syncProvider(deps, ticketId);
  return { userId: user.id, action: 'opened', ticketId };
}

async function updateTicket(
  deps: RiskDeps,
  user: UserFacts,
  view: RiskView | undefined,
  signals: readonly RiskSignal[],
): Promise<UserOutcome> {
  const open = await deps.tickets.findOpen(user.id);
  if (!open) return { userId: user.id, action: 'unchanged', why: 'ticket closed meanwhile' };
  const now = deps.now().toISOString();
  let changed = false;
  const updated = await deps.tickets.update(open.ticketId, (t) => {
    const seen = new Set(t.seen);
    const fresh = seenIds(signals).filter((id) => !seen.has(id));
    const levelChanged = view?.level !== undefined && view.level !== t.riskLevel;
    const stateChanged = view?.state !== undefined && view.state !== t.riskState;
    // Events are explicit deliveries and always recorded; a poll that sees nothing new records nothing.
    const fromEvent = signals.some((s) => s.source !== 'poll');
    if (fresh.length === 0 && !levelChanged && !stateChanged && !fromEvent) return undefined;
    changed = true;
    const parts = [
      levelChanged ? `risk level ${t.riskLevel ?? 'unknown'} → ${view?.level}` : undefined,
      stateChanged ? `risk state ${t.riskState ?? 'unknown'} → ${view?.state}` : undefined,
      fresh.length > 0 ? `${fresh.length} new detection(s) or blocked sign-in(s)` : undefined,
      ...signals
        .filter((s) => s.source !== 'poll')
        .map((s) => `signal from ${s.source}${s.reference ? ` (${s.reference})` : ''}`),
    ].filter((p): p is string => p !== undefined);
    const text = `Update: ${parts.join('; ')}.`;
    const noteId = `${t.ticketId}:${t.signalCount + signals.length}`;
    return {
      ...t,
      ...(view?.level ? { riskLevel: view.level } : {}),
      ...(view?.state ? { riskState: view.state } : {}),
      updatedAt: now,
      signalCount: t.signalCount + signals.length,
      seen: [...t.seen, ...fresh].slice(-MAX_SEEN),
      timeline: [
        ...t.timeline,
        ...signalEntries(signals),
        { at: now, type: 'updated' as const, source: 'entra-ops', text },
      ].slice(-MAX_TIMELINE),
      provider: { ...t.provider, pendingNotes: [...t.provider.pendingNotes, { noteId, text }] },
    };
  });
  if (!updated || !changed) {
    // Stored but never pushed: the process died between storing the ticket (or a note) and reaching the ticket
    // system, so no retry is queued (a failed push records an attempt and queues one). The next signal about the user
    // pushes it; opening is by the ticket's stable key, so a push the dead process did make is not repeated.
    if (open.provider.status === 'pending' && open.provider.attempts === 0) await syncProvider(deps, open.ticketId);
    return { userId: user.id, action: 'unchanged', ticketId: open.ticketId };
  }
  await syncProvider(deps, open.ticketId);
  return { userId: user.id, action: 'updated', ticketId: open.ticketId };
}

async function resolveTicket(deps: RiskDeps, ticketId: string, userId: string, note: string): Promise<UserOutcome> {
  const now = deps.now().toISOString();
  const closed = await deps.tickets.close(ticketId, (t) => ({
    ...t,
    state: 'resolved',
    resolvedAt: now,
    resolution: note,
    updatedAt: now,
    timeline: [...t.timeline, { at: now, type: 'resolved' as const, source: 'entra-ops', text: note }].slice(-MAX_TIMELINE),
  }));
  if (!closed) return { userId, action: 'unchanged', why: 'already resolved' };
  await syncProvider(deps, ticketId);
  return { userId, action: 'resolved', ticketId };
}

/** Handles every signal about one user; signals must all name the same user. */
export async function handleUser(deps: RiskDeps, signals: readonly RiskSignal[], budget: RunBudget): Promise<UserOutcome> {
  const ref = userRef(signals);
  const user = await deps.users.find(ref);
  if (!user) {
    const open = ref.id ? await deps.tickets.findOpen(ref.id) : undefined;
    if (open)
      return resolveTicket(
        deps,
        open.ticketId,
        open.userId,
        'The user no longer exists in the directory (deleted); the ticket is resolved.',
      );
    return { ...(ref.id ? { userId: ref.id } : {}), action: 'ignored', why: 'unknown or deleted user' };
  }
  const view = await currentView(deps, user, signals);
  const open = await deps.tickets.findOpen(user.id);
  const decision = decideEpisode({
    view,
    kind: user.kind,
    homeTenantBlock: signals.some((s) => s.kind === 'homeTenantBlock'),
    open,
    minLevel: deps.settings.minLevel,
  });
  switch (decision.action) {
    case 'open':
      return openTicket(deps, user, decision.reason, view, signals, budget);
    case 'update':
      return updateTicket(deps, user, view, signals);
    case 'resolve':
      return resolveTicket(deps, open?.ticketId ?? '', user.id, decision.note);
    case 'none':
      return { userId: user.id, action: 'ignored', why: decision.why };
  }
}
