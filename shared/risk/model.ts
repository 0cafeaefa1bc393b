/**
 * The risk job's vocabulary: signals (what a poll or an event says about a user), the user's current risk as Graph
 * reports it, and the ticket record we keep per user per risk episode.
 * riskLevel / riskState / riskDetail values: riskyuser.md and riskdetection.md (Graph v1.0).
 */
import { z } from 'zod';

export const RISK_LEVELS = ['low', 'medium', 'high', 'hidden', 'none', 'unknownFutureValue'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const RISK_STATES = [
  'none',
  'confirmedSafe',
  'remediated',
  'dismissed',
  'atRisk',
  'confirmedCompromised',
  'unknownFutureValue',
] as const;
export type RiskState = (typeof RISK_STATES)[number];

export type MinimumLevel = 'low' | 'medium' | 'high';

const LEVEL_RANK: Record<MinimumLevel, number> = { low: 1, medium: 2, high: 3 };

/**
 * Whether a user risk counts: `hidden` (tenants without Entra ID P2 see no level) always counts, because we cannot
 * tell it apart from high; `none` and unknown values never do.
 */
export function meetsMinimum(level: RiskLevel | undefined, minimum: MinimumLevel): boolean {
  if (level === 'hidden' || level === undefined) return true;
  if (level === 'low' || level === 'medium' || level === 'high') return LEVEL_RANK[level] >= LEVEL_RANK[minimum];
  return false;
}

export const isAtRiskState = (state: RiskState | undefined): boolean => state === 'atRisk' || state === 'confirmedCompromised';

/** States that end a user-risk episode: someone remediated or dismissed it elsewhere. */
export const isClearedState = (state: RiskState | undefined): boolean =>
  state === 'remediated' || state === 'dismissed' || state === 'confirmedSafe' || state === 'none';

export interface DetectionFacts {
  readonly id: string;
  readonly riskEventType: string;
  readonly riskLevel?: string;
  readonly riskState?: string;
  readonly detectedDateTime?: string;
  readonly activityDateTime?: string;
  readonly ipAddress?: string;
  /** "City, CountryOrRegion" when Graph gave a location. */
  readonly location?: string;
  readonly source?: string;
}

export interface SignInFacts {
  readonly id: string;
  readonly createdDateTime: string;
  readonly errorCode: number;
  readonly failureReason?: string;
  readonly appDisplayName?: string;
  readonly ipAddress?: string;
  readonly location?: string;
  readonly riskLevelDuringSignIn?: string;
  /** Conditional Access policies with result `failure` (Graph omits them without a Policy.Read permission). */
  readonly failedPolicies: readonly string[];
}

/** Sign-in error 53011: "User blocked due to risk on home tenant" (the guest's risk lives in its home tenant). */
export const HOME_TENANT_RISK_ERROR = 53011;

/** One thing a source said about one user. */
export interface RiskSignal {
  /** `poll`, `event`, or the publisher's own label (Sentinel, a Logic App) for the timeline. */
  readonly source: string;
  readonly user: { readonly id?: string; readonly userPrincipalName?: string };
  /**
   * `risk`: the source states the user's risk (a Graph riskyUser, or a trusted publisher's `{userId, riskLevel}`);
   * `recheck`: read the user's risk from Graph now (a detection, a Sentinel incident, a users change notification);
   * `homeTenantBlock`: a guest's sign-in failed with 53011.
   */
  readonly kind: 'risk' | 'recheck' | 'homeTenantBlock';
  readonly risk?: {
    readonly level?: RiskLevel;
    readonly state?: RiskState;
    readonly detail?: string;
    readonly lastUpdated?: string;
  };
  readonly detections?: readonly DetectionFacts[];
  readonly signIns?: readonly SignInFacts[];
  /** Event id, incident number or detection id, shown in the timeline. */
  readonly reference?: string;
  /** When the source observed it (event time, detection time); ISO 8601. */
  readonly at: string;
}

/** The user's current risk as Graph's riskyUser reports it; `undefined` fields were not reported. */
export interface RiskView {
  readonly level?: RiskLevel;
  readonly state?: RiskState;
  readonly detail?: string;
  readonly lastUpdated?: string;
  /** No riskyUser record exists (404): the user has no user risk here. */
  readonly noRecord?: boolean;
}

export type UserKind = 'member' | 'guest';

export interface UserFacts {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName?: string;
  readonly kind: UserKind;
  readonly accountEnabled?: boolean;
  readonly onPremisesSyncEnabled?: boolean;
  readonly creationType?: string;
  readonly externalUserState?: string;
}

export type TicketState = 'open' | 'resolved';
export type EpisodeReason = 'userRisk' | 'homeTenantBlock';

export interface TimelineEntry {
  readonly at: string;
  readonly type: 'signal' | 'opened' | 'updated' | 'resolved' | 'provider';
  readonly source: string;
  readonly text: string;
  readonly reference?: string;
}

/** Where the ticket stands in the configured ticket system. */
export interface ProviderSync {
  readonly provider: string;
  readonly externalId?: string;
  readonly displayId?: string;
  readonly url?: string;
  /** Note ids still to post (each note's text is in the timeline entry it was made from). */
  readonly pendingNotes: readonly { readonly noteId: string; readonly text: string }[];
  /** True once the provider confirmed the resolve. */
  readonly resolvedThere: boolean;
  readonly status: 'synced' | 'pending' | 'failed';
  readonly lastError?: string;
  readonly attempts: number;
}

export interface RiskTicket {
  readonly ticketId: string;
  readonly key: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly displayName?: string;
  readonly kind: UserKind;
  readonly reason: EpisodeReason;
  readonly episodeStart: string;
  readonly state: TicketState;
  readonly riskLevel?: RiskLevel;
  readonly riskState?: RiskState;
  readonly riskDetail?: string;
  readonly title: string;
  readonly severity: 'low' | 'medium' | 'high';
  readonly sections: readonly { readonly heading: string; readonly lines: readonly string[] }[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly resolvedAt?: string;
  readonly resolution?: string;
  readonly signalCount: number;
  /** Detection (`d:`) and sign-in (`s:`) ids already on the ticket, newest kept. */
  readonly seen: readonly string[];
  readonly timeline: readonly TimelineEntry[];
  readonly provider: ProviderSync;
}

/** The stable dedupe key the port and every provider see: one per tenant, user and episode start. */
export const ticketKey = (tenantId: string, userId: string, episodeStart: string): string =>
  `risk:${tenantId}:${userId}:${episodeStart}`;

/** Ticket ids are the user id and a compact episode stamp, so a lookup by id is a point read. */
export function ticketIdFor(userId: string, episodeStart: string): string {
  return `${userId}.${episodeStart.replace(/[-:]/g, '').replace(/\.\d+/, '')}`;
}

export function parseTicketId(ticketId: string): { userId: string; stamp: string } | undefined {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{8}T\d{6}Z)$/i.exec(ticketId);
  return m ? { userId: (m[1] ?? '').toLowerCase(), stamp: m[2] ?? '' } : undefined;
}

export const ticketListQuery = z.strictObject({
  userId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a user object id (GUID)')
    .transform((v) => v.toLowerCase())
    .optional(),
  state: z.enum(['open', 'resolved']).optional(),
  kind: z.enum(['member', 'guest']).optional(),
});
export type TicketListQuery = z.output<typeof ticketListQuery>;

export const ticketIdParams = z.object({
  ticketId: z.string().refine((v) => parseTicketId(v) !== undefined, 'must be a ticket id such as <userId>.20261202T101500Z'),
});

/** A summary for lists; the full record (timeline, sections) comes from GET /api/tickets/{ticketId}. */
export function ticketSummary(t: RiskTicket): Omit<RiskTicket, 'timeline' | 'sections' | 'seen'> {
  const { timeline: _timeline, sections: _sections, seen: _seen, ...rest } = t;
  return rest;
}

/** The full record for GET /api/tickets/{ticketId}, without the internal dedupe memory. */
export function ticketDetail(t: RiskTicket): Omit<RiskTicket, 'seen'> {
  const { seen: _seen, ...rest } = t;
  return rest;
}

/** Timelines keep the newest entries; a user flagged every few minutes for weeks must not outgrow a table entity. */
export const MAX_TIMELINE = 200;
