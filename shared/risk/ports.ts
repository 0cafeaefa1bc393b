/**
 * What the risk job needs from the outside, one small port per concern. Graph adapters live in shared/graph,
 * storage adapters in shared/storage, ticket systems behind shared/ticketing/port.ts.
 */
import type { DetectionFacts, RiskTicket, RiskView, SignInFacts, TicketListQuery, UserFacts } from './model';

/** A riskyUser as the list returns it. */
export interface RiskyUserRecord extends RiskView {
  readonly id: string;
  readonly userPrincipalName?: string;
  readonly displayName?: string;
  readonly isDeleted?: boolean;
}

export interface DetectionRecord extends DetectionFacts {
  readonly userId: string;
  readonly userPrincipalName?: string;
  readonly lastUpdatedDateTime?: string;
}

export interface SignInRecord extends SignInFacts {
  readonly userId: string;
  readonly userPrincipalName?: string;
}

/** Identity Protection (riskyUsers, riskDetections): 1 request per second per tenant, paced by the gateway. */
export interface RiskReader {
  /** The user's riskyUser record; `noRecord` when Graph has none (404). */
  riskOf(userId: string): Promise<RiskView>;
  /** riskyUsers with riskState atRisk or confirmedCompromised, page by page (pages of the maximum size). */
  atRiskUsers(): AsyncIterable<readonly RiskyUserRecord[]>;
  /** Detections updated at or after `since`, page by page. */
  detectionsSince(since: string): AsyncIterable<readonly DetectionRecord[]>;
  /** The user's most recent detections (event path; the poll has them from the list already). */
  recentDetections(userId: string, top: number): Promise<DetectionFacts[]>;
}

/** Sign-in logs: 5 requests per 10 s per app and tenant, paced by the gateway. */
export interface SignInReader {
  /** Sign-ins failed with 53011 (blocked for home-tenant risk) created at or after `since`, page by page. */
  homeTenantBlocks(since: string): AsyncIterable<readonly SignInRecord[]>;
  /** The user's recent failed or risky sign-ins, with the Conditional Access policies that failed. */
  recentProblems(userId: string, since: string, top: number): Promise<SignInFacts[]>;
}

export interface UserDirectory {
  /** By object id or UPN; undefined when the user does not exist (deleted or never existed). */
  find(ref: { readonly id?: string; readonly userPrincipalName?: string }): Promise<UserFacts | undefined>;
  /** Registered authentication method types (`password`, `phone`, `microsoftAuthenticator`, ...). */
  authMethods(userId: string): Promise<string[]>;
  /** Sponsors of a guest, as "Name <upn>". */
  sponsors(userId: string): Promise<string[]>;
  /** Names of the privileged directory roles the user holds; undefined when this deployment cannot read them. */
  privilegedRoles(userId: string): Promise<string[] | undefined>;
}

export type OpenResult = { readonly created: true; readonly ticket: RiskTicket } | { readonly created: false };

export interface TicketRepository {
  /** The user's open episode, if any. */
  findOpen(userId: string): Promise<RiskTicket | undefined>;
  /**
   * Opens an episode: claims the user's single open slot and stores the ticket in one atomic step. When another
   * signal claimed it first, nothing is written and `created` is false: the caller updates that ticket instead.
   */
  open(ticket: RiskTicket): Promise<OpenResult>;
  /** Read-modify-write under an etag, retried on conflicts; `change` returning undefined leaves the ticket as is. */
  update(ticketId: string, change: (t: RiskTicket) => RiskTicket | undefined): Promise<RiskTicket | undefined>;
  /** Like update, and frees the user's open slot in the same atomic step (the next signal starts a new episode). */
  close(ticketId: string, change: (t: RiskTicket) => RiskTicket): Promise<RiskTicket | undefined>;
  get(ticketId: string): Promise<RiskTicket | undefined>;
  list(query: TicketListQuery): Promise<RiskTicket[]>;
}

/** Poll watermarks and tenant facts learned once (licence, missing permissions). */
export interface RiskStateStore {
  getWatermark(name: 'riskDetections' | 'homeTenantBlocks'): Promise<string | undefined>;
  setWatermark(name: 'riskDetections' | 'homeTenantBlocks', value: string): Promise<void>;
  getTenantFacts(): Promise<TenantRiskFacts | undefined>;
  setTenantFacts(facts: TenantRiskFacts): Promise<void>;
}

export interface TenantRiskFacts {
  /** `absent`: riskyUsers refused and detections come back with riskLevel hidden (no Entra ID P2). */
  readonly p2: 'present' | 'absent' | 'unknown';
  readonly checkedAt: string;
  /** Permissions Graph refused (403), by capability, with the route that showed it. */
  readonly missingPermissions: readonly { readonly permission: string; readonly route: string; readonly at: string }[];
  /** Provider refusals that need a person (bad credentials, rejected fields); cleared by the next success. */
  readonly providerProblem?: { readonly provider: string; readonly message: string; readonly at: string };
}

/** At-least-once event delivery: each event id is handled once. */
export interface EventLedger {
  /** True when this call claimed the id; false when it was handled (or is being handled) already. */
  claim(eventId: string): Promise<boolean>;
  /** Marks a claimed id done. */
  complete(eventId: string): Promise<void>;
  /** Frees a claim after a failure, so Event Grid's redelivery is handled. */
  release(eventId: string): Promise<void>;
}

/** Provider calls that failed retryably, retried later from a queue with backoff. */
export interface ProviderRetryQueue {
  schedule(ticketId: string, attempt: number, delayMs: number): Promise<void>;
}
