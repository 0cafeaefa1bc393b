/**
 * Small in-memory implementations of the sync ports: a directory with groups, members and a change log for delta
 * rounds, and memory stores. The contract suites run the same behaviours against the real adapters
 * (test/sync/syncStore.test.ts for the stores, test/sync/directoryContract.test.ts for the directory).
 */

import type { AuditEntry, AuditSink } from '../../shared/audit';
import { conflict } from '../../shared/errors';
import type { MemberType, SyncJob, SyncRun } from '../../shared/sync/jobModel';
import type {
  GroupCandidate,
  GroupDirectory,
  GroupInfo,
  GroupReadRequest,
  GroupReadResult,
  GroupSnapshot,
  JobRecord,
  JobRepository,
  JobStateCleanup,
  MemberFacts,
  MemberLedger,
  MemberProperty,
  MembershipReader,
  MembershipWriter,
  RunLease,
  RunLeases,
  RunRecords,
  ScheduleState,
  ScheduleStore,
  SnapshotStore,
  WriteOutcome,
} from '../../shared/sync/ports';
import { DEFAULT_RUN_SETTINGS, type RunDeps } from '../../shared/sync/runJob';

let counter = 0;
export const gid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const nextId = (): string => gid(900_000 + ++counter);

export interface FakeObject extends MemberFacts {
  readonly displayName?: string;
}

interface FakeGroup {
  info: GroupInfo;
  members: Set<string>;
  log: { seq: number; op: 'add' | 'remove'; id: string }[];
}

export class FakeDirectory implements GroupDirectory, MembershipReader, MembershipWriter {
  readonly objects = new Map<string, FakeObject>();
  readonly groups = new Map<string, FakeGroup>();
  private seq = 0;
  readonly calls = { fullReads: 0, deltaReads: 0, describes: 0, addCalls: 0, removeCalls: 0, addedIds: [] as string[] };
  /** Ids whose add fails (code), and how many times. */
  readonly failAdds = new Map<string, { code: string; times: number }>();
  /** Throw after this many write calls (simulates a crash mid-run). */
  crashAfterWrites: number | undefined;

  user(n: number, facts: Partial<MemberFacts> = {}): string {
    const id = gid(n);
    this.objects.set(id, { id, type: 'user', userType: 'Member', accountEnabled: true, ...facts });
    return id;
  }

  object(n: number, type: MemberType, facts: Partial<MemberFacts> = {}): string {
    const id = gid(n);
    this.objects.set(id, { id, type, accountEnabled: true, ...facts });
    return id;
  }

  group(n: number, members: readonly string[] = [], info: Partial<GroupInfo> = {}): string {
    const id = gid(n);
    this.objects.set(id, { id, type: 'group' });
    this.groups.set(id, {
      info: {
        id,
        displayName: `Group ${n}`,
        groupTypes: [],
        mailEnabled: false,
        securityEnabled: true,
        onPremisesSyncEnabled: null,
        isAssignableToRole: null,
        membershipRule: null,
        ...info,
      },
      members: new Set(members),
      log: [],
    });
    return id;
  }

  members(groupId: string): string[] {
    return [...(this.groups.get(groupId)?.members ?? [])].sort();
  }

  addMember(groupId: string, memberId: string): void {
    const g = this.groups.get(groupId);
    if (!g || g.members.has(memberId)) return;
    g.members.add(memberId);
    g.log.push({ seq: ++this.seq, op: 'add', id: memberId });
  }

  removeMember(groupId: string, memberId: string): void {
    const g = this.groups.get(groupId);
    if (!g?.members.delete(memberId)) return;
    g.log.push({ seq: ++this.seq, op: 'remove', id: memberId });
  }

  async getGroup(id: string): Promise<GroupInfo | undefined> {
    return this.groups.get(id)?.info;
  }

  async findByDisplayName(name: string): Promise<GroupCandidate[]> {
    return [...this.groups.values()]
      .filter((g) => g.info.displayName === name)
      .map((g) => ({ id: g.info.id, displayName: g.info.displayName, type: 'security', memberCount: g.members.size }));
  }

  async listDynamicGroups(): Promise<GroupInfo[]> {
    return [...this.groups.values()].filter((g) => g.info.groupTypes.includes('DynamicMembership')).map((g) => g.info);
  }

  private facts(id: string, props: readonly MemberProperty[]): MemberFacts {
    const o = this.objects.get(id) ?? { id, type: 'other' as const };
    return {
      id,
      type: o.type,
      ...(props.includes('userType') && o.type === 'user' ? { userType: o.userType ?? null } : {}),
      ...(props.includes('accountEnabled') && o.type !== 'group' ? { accountEnabled: o.accountEnabled ?? null } : {}),
    };
  }

  async read(requests: readonly GroupReadRequest[]): Promise<GroupReadResult[]> {
    return requests.map((r): GroupReadResult => {
      const g = this.groups.get(r.groupId);
      if (!g) return { groupId: r.groupId, status: 'notFound' };
      const group = r.includeGroup ? { group: g.info } : {};
      if (!r.deltaLink) {
        this.calls.fullReads++;
        return {
          groupId: r.groupId,
          status: 'full',
          members: [...g.members].map((id) => this.facts(id, r.properties)),
          deltaLink: `fake:${r.groupId}:${this.seq}`,
          ...group,
        };
      }
      this.calls.deltaReads++;
      const since = Number(r.deltaLink.split(':')[2]);
      const last = new Map<string, 'add' | 'remove'>();
      for (const e of g.log) if (e.seq > since) last.set(e.id, e.op);
      const added = [...last]
        .filter(([id, op]) => op === 'add' && r.alreadyHeld?.(id) !== true)
        .map(([id]) => ({ id, type: this.objects.get(id)?.type ?? ('other' as const) }));
      const removed = [...last].filter(([, op]) => op === 'remove').map(([id]) => id);
      return { groupId: r.groupId, status: 'delta', added, removed, deltaLink: `fake:${r.groupId}:${this.seq}`, ...group };
    });
  }

  async describe(ids: readonly string[], properties: readonly MemberProperty[]): Promise<MemberFacts[]> {
    this.calls.describes++;
    return ids.filter((id) => this.objects.has(id)).map((id) => this.facts(id, properties));
  }

  private writes = 0;
  private crashCheck(): void {
    if (this.crashAfterWrites !== undefined && this.writes++ >= this.crashAfterWrites) throw new Error('simulated crash');
  }

  async add(groupId: string, memberIds: readonly string[]): Promise<WriteOutcome[]> {
    this.crashCheck();
    this.calls.addCalls++;
    return memberIds.map((id): WriteOutcome => {
      const failure = this.failAdds.get(id);
      if (failure && failure.times > 0) {
        failure.times--;
        return { id, ok: false, code: failure.code, message: 'injected failure' };
      }
      if (!this.objects.has(id)) return { id, ok: false, code: 'Request_ResourceNotFound', message: 'no such object' };
      const already = this.groups.get(groupId)?.members.has(id) ?? false;
      if (!already) this.calls.addedIds.push(id);
      this.addMember(groupId, id);
      return { id, ok: true, noop: already };
    });
  }

  async remove(groupId: string, memberIds: readonly string[]): Promise<WriteOutcome[]> {
    this.crashCheck();
    this.calls.removeCalls++;
    return memberIds.map((id) => {
      const was = this.groups.get(groupId)?.members.has(id) ?? false;
      this.removeMember(groupId, id);
      return { id, ok: true, noop: !was };
    });
  }

  counters(): SyncRun['graphRequests'] {
    return { httpCalls: 0, subRequests: 0, throttled: 0, retries: 0 };
  }
}

export class MemoryJobs implements JobRepository {
  readonly jobs = new Map<string, { job: SyncJob; etag: number }>();
  async list(): Promise<SyncJob[]> {
    return [...this.jobs.values()].map((j) => j.job);
  }
  async get(jobId: string): Promise<JobRecord | undefined> {
    const j = this.jobs.get(jobId);
    return j ? { job: j.job, etag: String(j.etag) } : undefined;
  }
  private claimed(target: string, jobId: string): void {
    const holder = [...this.jobs.values()].find((j) => j.job.target === target && j.job.jobId !== jobId);
    if (holder)
      throw conflict('SYNC_TARGET_IN_USE', `Job ${holder.job.jobId} already writes target ${target}`, {
        jobId: holder.job.jobId,
      });
  }
  async create(job: SyncJob): Promise<void> {
    this.claimed(job.target, job.jobId);
    this.jobs.set(job.jobId, { job, etag: 1 });
  }
  async replace(job: SyncJob, etag: string): Promise<boolean> {
    const j = this.jobs.get(job.jobId);
    if (!j || String(j.etag) !== etag) return false;
    this.claimed(job.target, job.jobId);
    this.jobs.set(job.jobId, { job, etag: j.etag + 1 });
    return true;
  }
  async delete(jobId: string): Promise<boolean> {
    return this.jobs.delete(jobId);
  }
}

export class MemoryRuns implements RunRecords {
  readonly runs = new Map<string, SyncRun>();
  async saveRun(run: SyncRun): Promise<void> {
    this.runs.set(run.runId, structuredClone(run));
  }
  async getRun(runId: string): Promise<SyncRun | undefined> {
    return this.runs.get(runId);
  }
}

export class MemoryLeases implements RunLeases {
  readonly leases = new Map<string, { runId: string; expires: number }>();
  constructor(private readonly clock: () => number = () => Date.now()) {}

  async acquireLease(jobId: string, runId: string, ttlMs: number): Promise<RunLease | { heldBy: string }> {
    const held = this.leases.get(jobId);
    if (held && held.expires > this.clock()) return { heldBy: held.runId };
    this.leases.set(jobId, { runId, expires: this.clock() + ttlMs });
    return {
      runId,
      ...(held ? { takenOver: held.runId } : {}),
      renew: async () => {
        const cur = this.leases.get(jobId);
        if (cur?.runId !== runId) return false;
        cur.expires = this.clock() + ttlMs;
        return true;
      },
      release: async () => {
        if (this.leases.get(jobId)?.runId === runId) this.leases.delete(jobId);
      },
    };
  }
}

export class MemorySchedules implements ScheduleStore {
  readonly schedule = new Map<string, ScheduleState>();
  async getScheduleState(jobId: string): Promise<ScheduleState | undefined> {
    return this.schedule.get(jobId);
  }
  async setScheduleState(jobId: string, state: ScheduleState): Promise<void> {
    this.schedule.set(jobId, state);
  }
}

export class MemorySnapshots implements SnapshotStore {
  readonly snapshots = new Map<string, GroupSnapshot>();
  async loadSnapshot(jobId: string, groupId: string, intern = (id: string) => id): Promise<GroupSnapshot | undefined> {
    const stored = this.snapshots.get(`${jobId}/${groupId}`);
    return stored && { ...stored, members: stored.members.map((m) => ({ ...m, id: intern(m.id) })) };
  }
  async saveSnapshot(jobId: string, snapshot: GroupSnapshot): Promise<void> {
    this.snapshots.set(`${jobId}/${snapshot.groupId}`, structuredClone(snapshot));
  }
}

export class MemoryLedger implements MemberLedger {
  readonly ledgers = new Map<string, Set<string>>();
  async loadLedger(jobId: string): Promise<Set<string>> {
    return new Set(this.ledgers.get(jobId) ?? []);
  }
  async saveLedger(jobId: string, ids: ReadonlySet<string>): Promise<void> {
    this.ledgers.set(jobId, new Set(ids));
  }
}

/** Like the storage adapter: a deleted job's snapshots, ledger, lease and schedule state go; its runs stay. */
export class MemoryCleanup implements JobStateCleanup {
  constructor(private readonly stores: Pick<MemoryStores, 'leases' | 'schedules' | 'snapshots' | 'ledger'>) {}
  async deleteJobState(jobId: string): Promise<void> {
    const { snapshots } = this.stores.snapshots;
    for (const key of [...snapshots.keys()]) if (key.startsWith(`${jobId}/`)) snapshots.delete(key);
    this.stores.ledger.ledgers.delete(jobId);
    this.stores.schedules.schedule.delete(jobId);
    this.stores.leases.leases.delete(jobId);
  }
}

/** Every sync storage port in memory, as shared/storage/syncStore.ts's `syncStores` wires the real ones. */
export interface MemoryStores {
  readonly jobs: MemoryJobs;
  readonly runs: MemoryRuns;
  readonly leases: MemoryLeases;
  readonly schedules: MemorySchedules;
  readonly snapshots: MemorySnapshots;
  readonly ledger: MemoryLedger;
  readonly cleanup: MemoryCleanup;
}

export function memoryStores(clock: () => number = () => Date.now()): MemoryStores {
  const parts = {
    leases: new MemoryLeases(clock),
    schedules: new MemorySchedules(),
    snapshots: new MemorySnapshots(),
    ledger: new MemoryLedger(),
  };
  return { jobs: new MemoryJobs(), runs: new MemoryRuns(), ...parts, cleanup: new MemoryCleanup(parts) };
}

export class MemoryAudit implements AuditSink {
  readonly entries: AuditEntry[] = [];
  async write(entries: readonly AuditEntry[]): Promise<void> {
    this.entries.push(...entries);
  }
}

export interface World extends MemoryStores {
  readonly dir: FakeDirectory;
  readonly audit: MemoryAudit;
  readonly deps: RunDeps;
  now: Date;
}

export function world(): World {
  const dir = new FakeDirectory();
  const stores = memoryStores(() => w.now.getTime());
  const w: World = {
    ...stores,
    dir,
    audit: new MemoryAudit(),
    now: new Date('2026-11-25T10:00:00Z'),
    get deps(): RunDeps {
      const { jobs, runs, leases, schedules, snapshots, ledger } = stores;
      return {
        jobs,
        runs,
        leases,
        schedules,
        snapshots,
        ledger,
        reader: dir,
        writer: dir,
        audit: w.audit,
        now: () => w.now,
        newId: nextId,
        settings: { ...DEFAULT_RUN_SETTINGS, writeSliceSize: 3 },
      };
    },
  };
  return w;
}

/** The job use cases' dependencies, and the stores the job and run queries read. */
export function jobDeps(w: World) {
  return {
    jobs: w.jobs,
    directory: w.dir,
    runs: w.runs,
    schedules: w.schedules,
    cleanup: w.cleanup,
    now: () => w.now,
    newId: nextId,
  };
}
