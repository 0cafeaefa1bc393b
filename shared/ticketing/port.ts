/**
 * The one port every ticket system sits behind: built-in (Tables), ServiceNow, Jira and a signed webhook implement it
 * in this folder; risk triage opens tickets through it, remediation and the Conditional Access guard write back
 * through it. Which provider runs is configuration (`TICKET_PROVIDER`), never code.
 *
 * Ticket systems have no idempotency key, so the port is keyed by our own stable `key` (tenant, user, episode start):
 * `open` looks the key up before creating (ServiceNow `correlation_id`, a Jira label or issue property, the webhook
 * receiver's own dedupe on `webhook-id`), and callers also keep their own key → ticket map in storage, which is the
 * primary dedupe because Jira's search is eventually consistent and ServiceNow's query-then-create is racy.
 */

export type TicketProviderName = 'builtin' | 'servicenow' | 'jira' | 'webhook';

export type TicketSeverity = 'low' | 'medium' | 'high';

/** A titled block of ticket text; providers render it as plain text, ServiceNow journal text or Jira ADF. */
export interface TicketSection {
  readonly heading: string;
  /** Paragraphs or list items, in order; no markup (each provider escapes and formats). */
  readonly lines: readonly string[];
}

export interface TicketDraft {
  /** Stable dedupe key, e.g. `risk:<tenantId>:<userId>:<episodeStart ISO>`; the same key never opens two tickets. */
  readonly key: string;
  /** What the ticket is about, for routing: `risk` tickets, `ca-break-glass` violations, and so on. */
  readonly category: string;
  readonly title: string;
  readonly severity: TicketSeverity;
  readonly sections: readonly TicketSection[];
  /** Machine-readable facts for systems that keep them (built-in table, webhook payload). Never secrets or passes. */
  readonly facts?: Readonly<Record<string, string | number | boolean | null>>;
}

/** Where a ticket lives in its system. */
export interface TicketRef {
  readonly provider: TicketProviderName;
  /** The system's own id: a ServiceNow sys_id, a Jira issue key, a built-in ticket id, a webhook message id. */
  readonly externalId: string;
  /** A human-facing number or key when the system has one (INC0010002, SEC-24). */
  readonly displayId?: string;
  /** A link a person can open, when the system has one. */
  readonly url?: string;
}

export interface TicketNote {
  /** Idempotency key of this note, so a retried update is not posted twice where the provider can tell. */
  readonly noteId: string;
  readonly text: string;
}

export interface TicketProvider {
  readonly name: TicketProviderName;
  /** Opens the ticket for `draft.key`, or returns the one already open for it. Idempotent. */
  open(draft: TicketDraft): Promise<TicketRef>;
  /** Adds a note (work note, comment) to an open ticket. */
  addNote(ref: TicketRef, note: TicketNote): Promise<void>;
  /** Resolves the ticket with a closing note (ServiceNow state 6 with close notes, a Jira transition, ...). */
  resolve(ref: TicketRef, note: TicketNote): Promise<void>;
  /** A cheap authenticated call that proves the credentials work, for /api/health. */
  check(): Promise<{ readonly ok: boolean; readonly detail?: string }>;
}

/**
 * A provider call failed. `retryable` separates an outage (5xx, timeout, 429: retried from the ticket queue with
 * backoff) from a refusal (bad credentials, a rejected field: surfaced in health, never retried in a loop).
 */
export class TicketProviderError extends Error {
  override readonly name = 'TicketProviderError';
  constructor(
    readonly provider: TicketProviderName,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
