/**
 * The small interfaces remediation and TAP issuance are written against. Adapters: shared/graph/remediation.ts
 * (directory, writer, TAP), shared/storage/remediationStore.ts (requests, leases, delivery ids),
 * shared/storage/passVault.ts (encrypted one-time retrieval), the ticket provider behind shared/ticketing/port.ts.
 */

import type { TapPlan, TapPolicy, TapTargetFacts } from '../tap/policy';
import type { TicketNote, TicketProviderName, TicketRef } from '../ticketing/port';
import type { ActionName } from './actions';
import type { TargetUser } from './target';

/** Why a directory call failed, in the terms the job decides on (the Graph adapter maps statuses to these). */
export type DirectoryFailureKind = 'forbidden' | 'notFound' | 'throttled' | 'unavailable' | 'rejected';

export class DirectoryFailure extends Error {
  override readonly name = 'DirectoryFailure';
  constructor(
    readonly kind: DirectoryFailureKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface UserDirectory {
  /** The user by object id or UPN, or undefined when there is none (deleted since the ticket opened). */
  findUser(ref: string): Promise<TargetUser | undefined>;
  /** False when the tenant has no Entra ID P2: the user's riskyUser record reads `hidden`, or Graph refuses the API. */
  hasP2(userId: string): Promise<boolean>;
}

export interface Sponsor {
  readonly id: string;
  readonly displayName?: string;
  readonly mail?: string;
  readonly type: 'user' | 'group';
}

export interface RemediationWriter {
  dismissRisk(userId: string): Promise<void>;
  confirmCompromised(userId: string): Promise<void>;
  revokeSessions(userId: string): Promise<void>;
  setPassword(userId: string, password: string): Promise<void>;
  requirePasswordChange(userId: string): Promise<void>;
  setAccountEnabled(userId: string, enabled: boolean): Promise<void>;
  /** `notMember` when the user was not (or no longer) in the group: the goal is met either way. */
  removeFromGroup(groupId: string, userId: string): Promise<'removed' | 'notMember'>;
  sponsors(userId: string): Promise<Sponsor[]>;
}

export interface IssuedPass {
  readonly methodId: string;
  readonly temporaryAccessPass: string;
  readonly startDateTime: string;
  readonly lifetimeInMinutes: number;
  readonly isUsableOnce: boolean;
}

export interface TapDirectory {
  readPolicy(): Promise<TapPolicy>;
  targetFacts(user: TargetUser, policy: TapPolicy): Promise<TapTargetFacts>;
  createPass(userId: string, plan: TapPlan): Promise<IssuedPass>;
}

export type SecretKind = 'temporaryAccessPass' | 'temporaryPassword';

export interface SecretToKeep {
  readonly kind: SecretKind;
  readonly value: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly expiresAt: Date;
}

export interface RetrievedSecret {
  readonly kind: SecretKind;
  readonly value: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly expiresAt: string;
}

/** Secrets handed out once: stored encrypted, readable by one caller, gone after that read or at expiry. */
export interface PassVault {
  put(secret: SecretToKeep): Promise<{ readonly retrievalId: string; readonly expiresAt: string }>;
  take(retrievalId: string, now: Date): Promise<RetrievedSecret | undefined>;
}

export type RequestState = 'queued' | 'running' | 'succeeded' | 'failed' | 'refused';

export interface Outcome {
  /** A stable code for failures and refusals (REMEDIATION_NEEDS_P2, GRAPH_PERMISSION_MISSING, ...). */
  readonly code?: string;
  /** What was done (or why not), for the ticket and the audit log; never a secret. */
  readonly message: string;
  readonly signInAfter?: string;
  readonly fix?: string;
  readonly retrievalId?: string;
  readonly retrievalExpiresAt?: string;
  readonly completedAt: string;
}

export interface NewRequest {
  /** The serialisation unit: `ticket:<ticketId>` or `user:<userId>`; actions of one subject run one at a time, in order. */
  readonly subject: string;
  /** Same key, same request: a redelivered approval finds the first one instead of running again. */
  readonly idempotencyKey: string;
  readonly action: ActionName;
  readonly userId: string;
  readonly approvedBy: string;
  readonly reason: string;
  readonly approvedAt: string;
  readonly source: 'ticket' | 'admin';
  readonly ticket?: TicketRef & { readonly ticketId: string };
}

export interface StoredRequest extends NewRequest {
  readonly requestId: string;
  readonly seq: number;
  readonly state: RequestState;
  readonly attempts: number;
  /** Not before this time (a retry after a throttled or unavailable Graph). */
  readonly retryAt?: string;
  readonly outcome?: Outcome;
  /** Whether the outcome reached the ticket: `pending` is retried from the write-back queue. */
  readonly writeBack?: 'pending' | 'done';
  /**
   * When a run started the Graph write of an action that must not run twice (set just before it). A request found
   * `running` without it died before anything was sent, and is simply run again.
   */
  readonly actionStartedAt?: string;
}

export interface RemediationStore {
  record(request: NewRequest): Promise<{ readonly request: StoredRequest; readonly created: boolean }>;
  get(subject: string, requestId: string): Promise<StoredRequest | undefined>;
  /** Requests of the subject not yet finished (queued or running), oldest first. */
  unfinished(subject: string): Promise<StoredRequest[]>;
  update(
    subject: string,
    requestId: string,
    patch: Partial<Pick<StoredRequest, 'state' | 'attempts' | 'retryAt' | 'outcome' | 'writeBack' | 'actionStartedAt'>>,
  ): Promise<void>;
  /** One runner per subject: true when `owner` holds (or took over an expired) lease. */
  claim(subject: string, owner: string, leaseMs: number, now: Date): Promise<boolean>;
  release(subject: string, owner: string): Promise<void>;
}

export interface TicketRecord {
  readonly ticketId: string;
  readonly userId: string;
  readonly ref: TicketRef;
  readonly open: boolean;
}

/** Finds the ticket a callback is about: by our ticket id, by the provider's own id, or by our dedupe key. */
export interface TicketDirectory {
  find(
    provider: TicketProviderName,
    by: { readonly ticketId?: string; readonly externalId?: string; readonly key?: string },
  ): Promise<TicketRecord | undefined>;
}

/** Where outcomes are written: the ticket system, and the ticket's own record. */
export interface RemediationTicketNotes {
  addNote(ref: TicketRef & { readonly ticketId: string }, note: TicketNote): Promise<void>;
}

/** Work for later: a subject to drain again (retry after 429/5xx, a lease taken by a runner that died), a note to post. */
export interface RemediationQueue {
  drainLater(subject: string, delaySeconds: number): Promise<void>;
  writeBackLater(subject: string, requestId: string, delaySeconds: number): Promise<void>;
}

/**
 * Delivery ids of verified callbacks (Standard Webhooks `webhook-id`, Jira's `X-Atlassian-Webhook-Identifier`). A
 * replayed id is refused; a claim whose request never got recorded (the host died in between) can be taken over once
 * it is older than `staleMs`, so a sender's retry is not lost.
 */
export interface DeliveryLedger {
  claim(provider: string, deliveryId: string, now: Date, staleMs: number): Promise<'claimed' | 'replayed'>;
  complete(provider: string, deliveryId: string): Promise<void>;
}
