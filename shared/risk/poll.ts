/**
 * The poller: Graph cannot push risk changes (riskyUsers and riskDetections have no change notifications), so every
 * few minutes it reads the at-risk users, the detections since the stored watermark and, for guests, the sign-ins
 * failed with 53011, then hands each user to the same handler the events use. It also re-reads the risk of users
 * whose ticket is open but who are no longer at risk, which is how a dismissal or remediation done elsewhere
 * resolves the ticket.
 */
import { RiskAccessDenied } from './errors';
import { handleUser, type RiskDeps, type RunBudget, type UserOutcome } from './handleUser';
import { type DetectionFacts, isAtRiskState, type RiskSignal, type RiskState, type SignInFacts } from './model';
import type { DetectionRecord, RiskyUserRecord, SignInRecord, TenantRiskFacts } from './ports';

export interface PollSummary {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly atRiskUsers: number;
  readonly detections: number;
  readonly homeTenantBlocks: number;
  readonly usersHandled: number;
  readonly opened: number;
  readonly updated: number;
  readonly resolved: number;
  readonly unchanged: number;
  readonly ignored: number;
  readonly errors: readonly { readonly userId: string; readonly message: string }[];
  readonly p2: TenantRiskFacts['p2'];
  readonly missingPermissions: readonly string[];
}

/** Users handled in parallel: Graph pacing, not this, bounds the protection routes. */
const USER_CONCURRENCY = 8;

interface Gathered {
  readonly atRisk: Map<string, RiskyUserRecord>;
  readonly detections: Map<string, DetectionRecord[]>;
  readonly blocks: Map<string, SignInRecord[]>;
  readonly denied: RiskAccessDenied[];
  readonly detectionWatermark?: string;
  readonly blockWatermark?: string;
  readonly riskyUsersReadable: boolean;
  readonly detectionsReadable: boolean;
}

const push = <T>(map: Map<string, T[]>, key: string, value: T): void => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

const later = (a: string | undefined, b: string | undefined): string | undefined => (!a ? b : !b ? a : a > b ? a : b);

async function gather(deps: RiskDeps, since: string): Promise<Gathered> {
  const denied: RiskAccessDenied[] = [];
  const guard = async (work: () => Promise<void>): Promise<boolean> => {
    try {
      await work();
      return true;
    } catch (e) {
      if (!(e instanceof RiskAccessDenied)) throw e;
      denied.push(e);
      return false;
    }
  };
  const atRisk = new Map<string, RiskyUserRecord>();
  const riskyUsersReadable = await guard(async () => {
    for await (const page of deps.risk.atRiskUsers()) for (const r of page) if (!r.isDeleted) atRisk.set(r.id, r);
  });
  const detections = new Map<string, DetectionRecord[]>();
  let detectionWatermark: string | undefined;
  const detectionsFrom = (await deps.state.getWatermark('riskDetections')) ?? since;
  const detectionsReadable = await guard(async () => {
    for await (const page of deps.risk.detectionsSince(detectionsFrom))
      for (const d of page) {
        push(detections, d.userId, d);
        detectionWatermark = later(detectionWatermark, d.lastUpdatedDateTime ?? d.detectedDateTime);
      }
  });
  const blocks = new Map<string, SignInRecord[]>();
  let blockWatermark: string | undefined;
  if (deps.settings.blockedGuests) {
    const blocksFrom = (await deps.state.getWatermark('homeTenantBlocks')) ?? since;
    await guard(async () => {
      for await (const page of deps.signIns.homeTenantBlocks(blocksFrom))
        for (const s of page) {
          push(blocks, s.userId, s);
          blockWatermark = later(blockWatermark, s.createdDateTime);
        }
    });
  }
  return {
    atRisk,
    detections,
    blocks,
    denied,
    ...(detectionWatermark ? { detectionWatermark } : {}),
    ...(blockWatermark ? { blockWatermark } : {}),
    riskyUsersReadable,
    detectionsReadable,
  };
}

/**
 * Entra ID P2 is missing when riskyUsers is refused while detections come back with riskLevel "hidden", or when
 * riskyUsers itself reports every level as hidden (identityprotection-overview.md: riskyUsers needs P2; P1 tenants
 * get limited detections).
 */
function p2Of(g: Gathered, previous: TenantRiskFacts['p2']): TenantRiskFacts['p2'] {
  const levels = [...g.atRisk.values()].map((r) => r.level);
  const hiddenDetections = [...g.detections.values()].flat().some((d) => d.riskLevel === 'hidden');
  if (!g.riskyUsersReadable && g.detectionsReadable && hiddenDetections) return 'absent';
  if (g.riskyUsersReadable && levels.length > 0 && levels.every((l) => l === 'hidden')) return 'absent';
  if (g.riskyUsersReadable && levels.some((l) => l && l !== 'hidden')) return 'present';
  if (g.riskyUsersReadable && previous === 'absent') return 'unknown';
  return previous;
}

const detectionFacts = ({
  userId: _u,
  userPrincipalName: _p,
  lastUpdatedDateTime: _l,
  ...facts
}: DetectionRecord): DetectionFacts => facts;
const signInFacts = ({ userId: _u, userPrincipalName: _p, ...facts }: SignInRecord): SignInFacts => facts;

function signalsFor(userId: string, g: Gathered, p2Absent: boolean, recheck: boolean, now: string): RiskSignal[] {
  const signals: RiskSignal[] = [];
  const r = g.atRisk.get(userId);
  const detections = (g.detections.get(userId) ?? []).map(detectionFacts);
  const atRiskByDetection = p2Absent && (g.detections.get(userId) ?? []).some((d) => d.riskState === 'atRisk');
  if (r) {
    signals.push({
      source: 'poll',
      kind: 'risk',
      user: { id: userId, ...(r.userPrincipalName ? { userPrincipalName: r.userPrincipalName } : {}) },
      risk: {
        ...(r.level ? { level: r.level } : {}),
        ...(r.state ? { state: r.state } : {}),
        ...(r.detail ? { detail: r.detail } : {}),
        ...(r.lastUpdated ? { lastUpdated: r.lastUpdated } : {}),
      },
      detections,
      at: r.lastUpdated ?? now,
    });
  } else if (atRiskByDetection) {
    // Without P2 the detections are the only evidence; their level is "hidden".
    signals.push({
      source: 'poll',
      kind: 'risk',
      user: { id: userId },
      risk: { state: 'atRisk', level: 'hidden' },
      detections,
      at: now,
    });
  } else if (recheck) {
    signals.push({ source: 'poll', kind: 'recheck', user: { id: userId }, detections, at: now });
  }
  const blocks = g.blocks.get(userId) ?? [];
  if (blocks.length > 0) {
    const first = blocks[0];
    signals.push({
      source: 'poll',
      kind: 'homeTenantBlock',
      user: { id: userId, ...(first?.userPrincipalName ? { userPrincipalName: first.userPrincipalName } : {}) },
      signIns: blocks.map(signInFacts),
      at: first?.createdDateTime ?? now,
    });
  }
  return signals;
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

async function recordFacts(deps: RiskDeps, g: Gathered, now: string): Promise<TenantRiskFacts> {
  const previous = await deps.state.getTenantFacts();
  const p2 = p2Of(g, previous?.p2 ?? 'unknown');
  // A refused riskyUsers read in a tenant without P2 is the licence, not a missing permission.
  const missing = g.denied
    .filter((d) => !(p2 === 'absent' && d.licenceRequired))
    .map((d) => ({ permission: d.permission, route: d.route, at: now }));
  const facts: TenantRiskFacts = {
    p2,
    checkedAt: now,
    missingPermissions: missing,
    ...(previous?.providerProblem ? { providerProblem: previous.providerProblem } : {}),
  };
  await deps.state.setTenantFacts(facts);
  return facts;
}

export async function pollRisk(deps: RiskDeps): Promise<PollSummary> {
  const startedAt = deps.now().toISOString();
  const since = new Date(deps.now().getTime() - deps.settings.lookbackDays * 86_400_000).toISOString();
  const g = await gather(deps, since);
  const facts = await recordFacts(deps, g, startedAt);
  const p2Absent = facts.p2 === 'absent';

  // Open user-risk tickets whose user left the at-risk list: re-read their risk so a dismissal here resolves them.
  const openTickets = await deps.tickets.list({ state: 'open' });
  const recheck = new Set(
    openTickets.filter((t) => t.reason === 'userRisk' && !g.atRisk.has(t.userId) && g.riskyUsersReadable).map((t) => t.userId),
  );
  const openUsers = new Set(openTickets.map((t) => t.userId));
  const users = new Set<string>([...g.atRisk.keys(), ...g.blocks.keys(), ...recheck]);
  for (const [userId, list] of g.detections) {
    if (openUsers.has(userId) || (p2Absent && list.some((d) => isAtRiskState(d.riskState as RiskState | undefined))))
      users.add(userId);
  }

  const budget: RunBudget = { signInReads: deps.settings.signInEnrichMax };
  const outcomes: UserOutcome[] = [];
  const errors: { userId: string; message: string }[] = [];
  await inParallel([...users], USER_CONCURRENCY, async (userId) => {
    const signals = signalsFor(userId, g, p2Absent, recheck.has(userId) || openUsers.has(userId), startedAt);
    if (signals.length === 0) return;
    try {
      outcomes.push(await handleUser(deps, signals, budget));
    } catch (e) {
      errors.push({ userId, message: e instanceof Error ? e.message : String(e) });
      deps.log.error({ userId, err: e }, 'risk poll: user failed');
    }
  });
  // A failed user is seen again next poll only if the watermarks stay where they were.
  if (errors.length === 0) {
    if (g.detectionWatermark) await deps.state.setWatermark('riskDetections', g.detectionWatermark);
    if (g.blockWatermark) await deps.state.setWatermark('homeTenantBlocks', g.blockWatermark);
  }
  const count = (action: UserOutcome['action']) => outcomes.filter((o) => o.action === action).length;
  return {
    startedAt,
    finishedAt: deps.now().toISOString(),
    atRiskUsers: g.atRisk.size,
    detections: [...g.detections.values()].reduce((n, l) => n + l.length, 0),
    homeTenantBlocks: [...g.blocks.values()].reduce((n, l) => n + l.length, 0),
    usersHandled: outcomes.length,
    opened: count('opened'),
    updated: count('updated'),
    resolved: count('resolved'),
    unchanged: count('unchanged'),
    ignored: count('ignored'),
    errors,
    p2: facts.p2,
    missingPermissions: facts.missingPermissions.map((m) => m.permission),
  };
}
