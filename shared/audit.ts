/**
 * The audit trail every state-changing job writes: who changed what in the tenant, when, in which run, and how it
 * ended. Jobs depend on `AuditSink` only; shared/storage/auditTable.ts stores entries in Table Storage.
 */

import type { RunOutcome } from './runOutcome';

/**
 * A run's or an action's outcome, in the words every job uses, plus `planned` (a dry run: nothing applied by design)
 * and `skipped` (an action deliberately not taken, e.g. a policy excludes the user).
 */
export type AuditOutcome = RunOutcome | 'planned' | 'skipped';

export interface AuditEntry {
  /** What was done, e.g. `sync.member.add`, `phones.method.create`, `tap.issue`. */
  readonly action: string;
  readonly outcome: AuditOutcome;
  /** Who asked: a principal name from App Service auth, `timer`, `blob:<name>`, or `system`. */
  readonly actor: string;
  /** The object acted on (object id, UPN, policy id). */
  readonly target?: string;
  /** The job or import the action belongs to, and its run. */
  readonly job?: string;
  readonly runId?: string;
  readonly reason?: string;
  /** Extra facts; redacted before storage (no phone numbers, passes or secrets in the audit log either). */
  readonly details?: Record<string, unknown>;
}

export interface StoredAuditEntry extends AuditEntry {
  readonly id: string;
  readonly at: string;
}

export interface AuditSink {
  write(entries: readonly AuditEntry[]): Promise<void>;
}

export interface AuditQuery {
  readonly since?: Date;
  readonly until?: Date;
  readonly runId?: string;
  readonly limit?: number;
}

export interface AuditReader {
  list(query?: AuditQuery): Promise<StoredAuditEntry[]>;
}
