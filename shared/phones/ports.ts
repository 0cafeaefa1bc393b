/**
 * The small interfaces the phone import is written against (a few methods each, so in-memory versions for tests stay
 * small). Adapters: shared/storage (phoneImportStore.ts, phoneImportBlobs.ts), shared/graph (users.ts, phoneMethods.ts).
 */

import type { AppConfig } from '../config';
import type { MethodsLookup, SmsPolicyFacts, UserLookup } from './plan';
import type { FileProblem, ImportStatus, PhoneType, RowCounts, RowStatus } from './types';

/** Blobs of the `phone-imports` container; paths are relative to it (`incoming/x.csv`, `results/x.results.csv`). */
export interface ImportFiles {
  /** Size in bytes, or undefined when the blob does not exist. */
  size(path: string): Promise<number | undefined>;
  read(path: string): AsyncIterable<Uint8Array>;
  write(path: string, body: string | AsyncIterable<string | Uint8Array>, contentType: string): Promise<void>;
  /** Moves a blob; a move whose source is gone and whose target exists counts as done (retries). */
  move(from: string, to: string): Promise<void>;
}

export interface ImportRecord {
  readonly importId: string;
  /** File name relative to `incoming/` (or the upload name for the HTTP route). */
  readonly file: string;
  /** Where the input is now (blob path in the container). */
  readonly source: string;
  readonly contentHash: string;
  readonly dryRun: boolean;
  readonly status: ImportStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  /** Data rows in the file (header excluded), valid and rejected. */
  readonly totalRows: number;
  readonly rejectedRows: number;
  readonly chunkCount: number;
  readonly resultsBlob?: string;
  readonly summaryBlob?: string;
  readonly problem?: FileProblem;
}

/** An import's record: registered once by the intake, then read and moved along by every stage. */
export interface ImportRecords {
  /** Creates the record unless one with this id exists; returns the stored one either way. */
  create(record: ImportRecord): Promise<{ created: boolean; record: ImportRecord }>;
  get(importId: string): Promise<ImportRecord | undefined>;
  /**
   * Merges `patch`. With `from`, only while the stored status is still `from` (checked and written with If-Match), so a
   * late or duplicate delivery can never turn `completed` back to `running`; false when the status had moved on.
   */
  update(importId: string, patch: Partial<Omit<ImportRecord, 'importId'>>, from?: ImportStatus): Promise<boolean>;
}

/** Only the sweep that finishes stuck imports lists them. */
export interface UnfinishedImports {
  /** Imports still `validating` or `running`. */
  listUnfinished(): Promise<ImportRecord[]>;
}

/** One validator at a time (two deliveries of one file). */
export interface ValidationLease {
  /** True when `owner` holds, retakes or renews the lease. */
  claimValidation(importId: string, owner: string, leaseMs: number): Promise<boolean>;
}

/** One finalizer at a time: two workers finishing the last chunks together must not both write the results. */
export interface FinalizeLease {
  /** True when `owner` holds (or retakes) the finalize lease. */
  claimFinalize(importId: string, owner: string, leaseMs: number): Promise<boolean>;
}

/** Per-row state, keyed by import + chunk + line. The normalised number is stored for the worker, never logged. */
export interface StoredRow {
  readonly line: number;
  readonly user: string;
  readonly maskedPhone: string;
  readonly phoneNumber?: string;
  readonly phoneType?: PhoneType;
  readonly enableSmsSignIn?: boolean;
  /** pending: validated, not yet acted on; applying: writes were about to be sent; done: outcome recorded. */
  readonly state: 'pending' | 'applying' | 'done';
  readonly planned?: RowStatus;
  readonly status?: RowStatus;
  readonly action?: string;
  readonly reason?: string;
}

export type RowPatch = Pick<StoredRow, 'line'> & Partial<Omit<StoredRow, 'line'>>;

export interface RowStore {
  putRows(importId: string, chunk: number, rows: readonly StoredRow[]): Promise<void>;
  patchRows(importId: string, chunk: number, patches: readonly RowPatch[]): Promise<void>;
  /** Rows of one chunk in line order. */
  chunkRows(importId: string, chunk: number): Promise<StoredRow[]>;
}

export interface ChunkState {
  readonly chunk: number;
  readonly state: 'pending' | 'done';
  readonly firstLine: number;
  readonly lastLine: number;
  readonly counts?: RowCounts;
  /** Last change of the chunk's state or lease (storage timestamp). */
  readonly updatedAt?: string;
  /** Epoch ms until which a worker holds the chunk. */
  readonly leaseUntil?: number;
}

/** Which chunks an import has and how far they are: written by validation and the workers, read to finish and report. */
export interface ChunkLedger {
  putChunk(importId: string, chunk: ChunkState): Promise<void>;
  completeChunk(importId: string, chunk: number, counts: RowCounts): Promise<void>;
  listChunks(importId: string): Promise<ChunkState[]>;
  /** True while any chunk is not done; cheap (asks for one entity), checked after every chunk. */
  anyPending(importId: string): Promise<boolean>;
}

/** Which worker holds a chunk now, so two deliveries of one chunk message never work it at once. */
export interface ChunkLeases {
  /** Takes the chunk for `owner` for `leaseMs` unless it is done or another owner's lease is live. */
  claimChunk(importId: string, chunk: number, owner: string, leaseMs: number): Promise<'claimed' | 'busy' | 'done'>;
  /** Extends `owner`'s lease while it works; false when the chunk is done or another owner holds it now. */
  renewChunk(importId: string, chunk: number, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives up `owner`'s lease so a deferred retry (a new message) can take the chunk at once. */
  releaseChunk(importId: string, chunk: number, owner: string): Promise<void>;
}

export interface ChunkMessage {
  readonly importId: string;
  readonly chunk: number;
  /** 1 for the first delivery; deferred retries after throttling count up. */
  readonly attempt?: number;
}

export interface ChunkQueue {
  enqueue(message: ChunkMessage, delaySeconds?: number): Promise<void>;
}

export type WriteResult =
  { readonly ok: true } | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** Throttling or an outage that outlasted the gateway's retries: worth another try later, not a verdict on the row. */
export const isTransient = (status: number): boolean =>
  status === 0 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;

export interface PhoneWrite {
  readonly userId: string;
  readonly kind: 'create' | 'update';
  readonly methodId: string;
  readonly phoneType: PhoneType;
  readonly phoneNumber: string;
}

/** Users and groups (shared/graph/users.ts). */
export interface PhoneDirectory {
  /** Looks users up by UPN or object id, with licences; keyed by the reference as given. */
  resolveUsers(refs: readonly string[]): Promise<Map<string, UserLookup>>;
  /** For each user, which of `groupIds` it is a (transitive) member of. */
  memberOf(userIds: readonly string[], groupIds: readonly string[]): Promise<Map<string, ReadonlySet<string>>>;
  addMembers(groupId: string, userIds: readonly string[]): Promise<Map<string, WriteResult>>;
}

/** Why a user counts as privileged: an active directory role, or membership of a role-assignable group. */
export type PrivilegeFact =
  | { readonly kind: 'directoryRole'; readonly roleName: string }
  | { readonly kind: 'roleAssignableGroup'; readonly groupName: string };

/** Privileged users among these object ids (shared/graph/privilegedUsers.ts); throws when it cannot tell. */
export interface PrivilegedUserReader {
  privilegedAmong(userIds: readonly string[]): Promise<Map<string, readonly PrivilegeFact[]>>;
}

/** Phone authentication methods and the SMS policy (shared/graph/phoneMethods.ts). */
export interface PhoneMethodsApi {
  listPhoneMethods(userIds: readonly string[]): Promise<Map<string, MethodsLookup>>;
  writePhoneMethods(writes: readonly PhoneWrite[]): Promise<WriteResult[]>;
  enableSmsSignIn(userIds: readonly string[]): Promise<Map<string, WriteResult>>;
  readSmsPolicy(): Promise<SmsPolicyFacts>;
}

/** The settings the job reads: the validated `phones` section of the app settings. */
export type PhoneSettings = AppConfig['phones'];

/** What the use cases log: pino's shape, without depending on pino here. */
export interface JobLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}
