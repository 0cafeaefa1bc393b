/**
 * The small interfaces group sync needs from the outside, one per concern (jobs never see the Graph gateway or the
 * storage SDKs). shared/graph/groups implements the Graph ones, shared/storage/syncStore.ts and syncJobTable.ts the
 * storage ones; tests use the in-memory versions in test/sync/fakes.ts.
 */

import type { MemberType, SyncJob, SyncRun } from './jobModel';

/** Properties of a member that job filters read; only the ones a job needs are requested (`$select`). */
export type MemberProperty = 'userType' | 'accountEnabled';

export interface MemberFacts {
  readonly id: string;
  /** `other` covers org contacts and any type Graph adds later; such members are never synced. */
  readonly type: MemberType | 'other';
  readonly userType?: string | null;
  readonly accountEnabled?: boolean | null;
}

export interface GroupInfo {
  readonly id: string;
  readonly displayName: string;
  readonly groupTypes: readonly string[];
  readonly mailEnabled: boolean;
  readonly securityEnabled: boolean;
  readonly onPremisesSyncEnabled: boolean | null;
  readonly isAssignableToRole: boolean | null;
  readonly membershipRule: string | null;
}

export interface GroupCandidate {
  readonly id: string;
  readonly displayName: string;
  /** `security`, `microsoft365`, `mailEnabledSecurity`, `distribution`, with `dynamic` appended for rule-based groups. */
  readonly type: string;
  readonly memberCount?: number;
}

/** Group lookups used when a job is saved and by the memberOf import. */
export interface GroupDirectory {
  getGroup(id: string): Promise<GroupInfo | undefined>;
  /** Groups whose display name is exactly `name`, with type and member count so a caller can pick one. */
  findByDisplayName(name: string): Promise<GroupCandidate[]>;
  /** Every dynamic-membership group (id, name, rule). */
  listDynamicGroups(): Promise<GroupInfo[]>;
}

export interface GroupReadRequest {
  readonly groupId: string;
  /** Properties the job's filters need for this group's members. */
  readonly properties: readonly MemberProperty[];
  /** When set, read only the changes since this link (a delta round); otherwise read every member. */
  readonly deltaLink?: string;
  /** Also return the group object (name, type flags), in the same round trip. */
  readonly includeGroup?: boolean;
  /**
   * Members the caller already holds with all it needs: a delta round that reports one as added reports no change,
   * so it is left out of `added` (a target's delta replays the job's own adds: 200,000 of them after a first sync).
   */
  readonly alreadyHeld?: (id: string) => boolean;
}

export type GroupReadResult =
  | {
      readonly groupId: string;
      readonly status: 'full';
      readonly members: readonly MemberFacts[];
      /** Link for the next delta round; absent when Graph gave none (the next run reads in full again). */
      readonly deltaLink?: string;
      readonly group?: GroupInfo;
    }
  | {
      readonly groupId: string;
      readonly status: 'delta';
      /** Members added since the link; properties are not included (delta carries only type and id). */
      readonly added: readonly MemberFacts[];
      readonly removed: readonly string[];
      readonly deltaLink: string;
      readonly group?: GroupInfo;
    }
  /** `notFound`: no such group. `deltaExpired`: the stored link is no longer valid; read in full. */
  | { readonly groupId: string; readonly status: 'notFound' }
  | { readonly groupId: string; readonly status: 'deltaExpired' };

/** Member reads: one call per round so the adapter can pack the first request of every group into one `$batch`. */
export interface MembershipReader {
  read(requests: readonly GroupReadRequest[]): Promise<GroupReadResult[]>;
  /** Properties of the given objects (for members a delta round reported as added). Unknown ids are left out. */
  describe(ids: readonly string[], properties: readonly MemberProperty[]): Promise<MemberFacts[]>;
}

export type WriteOutcome =
  | { readonly id: string; readonly ok: true; /** already a member (add) / not a member (remove) */ readonly noop: boolean }
  | { readonly id: string; readonly ok: false; readonly code: string; readonly message: string };

export interface MembershipWriter {
  add(groupId: string, memberIds: readonly string[]): Promise<WriteOutcome[]>;
  remove(groupId: string, memberIds: readonly string[]): Promise<WriteOutcome[]>;
  /** Graph requests made so far through this writer's and reader's scope (the run's counters). */
  counters(): SyncRun['graphRequests'];
}

/** Direct members of one group as last read, and where its next delta round starts. */
export interface GroupSnapshot {
  readonly groupId: string;
  readonly deltaLink?: string;
  /** When the members were last read in full (delta rounds do not refresh member properties). */
  readonly fullReadAt: string;
  readonly properties: readonly MemberProperty[];
  readonly members: readonly MemberFacts[];
}

export interface JobRecord {
  readonly job: SyncJob;
  readonly etag: string;
}

export interface JobRepository {
  list(): Promise<SyncJob[]>;
  get(jobId: string): Promise<JobRecord | undefined>;
  create(job: SyncJob): Promise<void>;
  /** Replaces the job if its etag still matches; false when someone else changed it first. */
  replace(job: SyncJob, etag: string): Promise<boolean>;
  delete(jobId: string): Promise<boolean>;
}

export interface RunLease {
  readonly runId: string;
  /** The run whose expired lease this one took over (it was interrupted: process killed, host recycled). */
  readonly takenOver?: string;
  /** Extends the lease; false when it was lost (expired and taken by another run). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Run records, also while a run is in progress (`running`); saved after every write slice as a checkpoint. */
export interface RunRecords {
  saveRun(run: SyncRun): Promise<void>;
  getRun(runId: string): Promise<SyncRun | undefined>;
}

/** One run per job at a time. */
export interface RunLeases {
  /** Takes the job's run lease, or returns the id of the run holding it. */
  acquireLease(jobId: string, runId: string, ttlMs: number): Promise<RunLease | { readonly heldBy: string }>;
}

/** The last schedule occurrence handled, and the last run (started by HTTP or the timer). */
export interface ScheduleState {
  readonly lastScheduledFor?: string;
  readonly lastRunId?: string;
}

export interface ScheduleStore {
  getScheduleState(jobId: string): Promise<ScheduleState | undefined>;
  setScheduleState(jobId: string, state: ScheduleState): Promise<void>;
}

/** Each group's members as a job last read them, with the link its next delta round starts from. */
export interface SnapshotStore {
  /** `intern` maps each member id to an equal string already in memory, so groups sharing members share their ids. */
  loadSnapshot(jobId: string, groupId: string, intern?: (id: string) => string): Promise<GroupSnapshot | undefined>;
  saveSnapshot(jobId: string, snapshot: GroupSnapshot): Promise<void>;
}

/** The members a job added (additive mode removes only these). */
export interface MemberLedger {
  loadLedger(jobId: string): Promise<Set<string>>;
  saveLedger(jobId: string, ids: ReadonlySet<string>): Promise<void>;
}

/** Removes everything stored for a job besides its definition and runs (when the job is deleted). */
export interface JobStateCleanup {
  deleteJobState(jobId: string): Promise<void>;
}
