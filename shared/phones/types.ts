/**
 * The phone import's vocabulary. A row ends in exactly one status, kept to a small set so results files stay easy to
 * filter; the detail goes in `action` and `reason`. `smsEnabled` means the number is in place and SMS sign-in was
 * switched on for it by this import. A finished import ends in one of the run outcomes every job shares.
 */

import { appliedOutcome, type RunOutcome } from '../runOutcome';

export const PHONE_TYPES = ['mobile', 'alternateMobile', 'office'] as const;
export type PhoneType = (typeof PHONE_TYPES)[number];

export const ROW_STATUSES = ['created', 'updated', 'unchanged', 'smsEnabled', 'conflict', 'failed', 'skipped'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export type ImportStatus = 'validating' | 'running' | 'completed' | 'failed';

/** A row that passed validation: what the worker needs to act on it. */
export interface ValidRow {
  /** 1-based line of the input file where the row starts (the header is line 1 when it is the first line). */
  readonly line: number;
  /** UPN or object id exactly as given (trimmed). */
  readonly user: string;
  /** Normalised to Graph's `+{country} {number}[x{ext}]`. */
  readonly phoneNumber: string;
  readonly phoneType: PhoneType;
  readonly enableSmsSignIn: boolean;
}

/** A row rejected before any Graph call (bad value, duplicate, malformed CSV record). */
export interface RejectedRow {
  readonly line: number;
  readonly user: string;
  /** Already masked: rejected input is never stored in the clear. */
  readonly maskedPhone: string;
  readonly reason: string;
}

/** The outcome recorded for one row: what the results file shows. */
export interface RowOutcome {
  readonly status: RowStatus;
  readonly action: string;
  readonly reason: string;
}

export type RowCounts = Record<RowStatus, number>;

export const emptyCounts = (): RowCounts => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  smsEnabled: 0,
  conflict: 0,
  failed: 0,
  skipped: 0,
});

export function addCounts(into: RowCounts, from: Partial<RowCounts>): RowCounts {
  for (const s of ROW_STATUSES) into[s] += from[s] ?? 0;
  return into;
}

/** The run outcome of a finished import: rows `failed` or in `conflict` are the ones that did not go through. */
export function importOutcome(counts: RowCounts): Exclude<RunOutcome, 'blocked'> {
  const notApplied = counts.failed + counts.conflict;
  const total = ROW_STATUSES.reduce((sum, s) => sum + counts[s], 0);
  return appliedOutcome(total - notApplied, notApplied);
}

/** A file-level problem: the whole file is rejected, with where (line) when known. */
export interface FileProblem {
  readonly code: string;
  readonly message: string;
  readonly line?: number;
}
