/**
 * Group sync run state in the app's storage account, one small class per port:
 * - container `sync-runs`: run records as JSON blobs (a 50k-member plan is ~2 MB, over the 1 MB entity limit), each
 *   save followed by its summary in table `syncruns` (syncRunIndex.ts);
 * - table `syncstate`: per job the run lease (`lease`, taken and renewed by etag so two hosts never run one job at once)
 *   and schedule bookkeeping (`schedule`);
 * - container `sync-state`: per job `{jobId}/groups/{groupId}.json` member snapshots with their delta link, and
 *   `{jobId}/ledger.json`, the members the job added (additive mode removes only those).
 * Job definitions live in table `syncjobs` (syncJobTable.ts); `syncStores` wires them all.
 */

import type { TableClient } from '@azure/data-tables';

import type { MemberType, SyncRun } from '../sync/jobModel';
import { memberFacts } from '../sync/memberFacts';
import type {
  GroupSnapshot,
  JobRepository,
  JobStateCleanup,
  MemberFacts,
  MemberLedger,
  MemberProperty,
  RunLease,
  RunLeases,
  RunRecords,
  ScheduleState,
  ScheduleStore,
  SnapshotStore,
} from '../sync/ports';
import { downloadText } from './blobText';
import type { StorageClients } from './clients';
import { orUndefined } from './storageErrors';
import { SyncJobTable } from './syncJobTable';
import { SyncRunIndex } from './syncRunIndex';

export { SYNC_JOBS_TABLE } from './syncJobTable';
export const SYNC_STATE_TABLE = 'syncstate';
export const SYNC_RUNS_CONTAINER = 'sync-runs';
export const SYNC_STATE_CONTAINER = 'sync-state';

type Storage = Pick<StorageClients, 'table' | 'container'>;
type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** Every storage port group sync uses, over one storage account. */
export interface SyncStores {
  readonly jobs: JobRepository;
  readonly runs: RunRecords;
  readonly leases: RunLeases;
  readonly schedules: ScheduleStore;
  readonly snapshots: SnapshotStore;
  readonly ledger: MemberLedger;
  readonly cleanup: JobStateCleanup;
}

export function syncStores(storage: Storage, clock: () => number = () => Date.now()): SyncStores {
  return {
    jobs: new SyncJobTable(storage),
    runs: new BlobRunRecords(storage),
    leases: new TableRunLeases(storage, clock),
    schedules: new TableScheduleStore(storage),
    snapshots: new BlobSnapshotStore(storage),
    ledger: new BlobMemberLedger(storage),
    cleanup: new SyncStateCleanup(storage),
  };
}

async function putJson(storage: Storage, container: string, name: string, value: unknown): Promise<void> {
  const client = await storage.container(container);
  const text = JSON.stringify(value);
  await client
    .getBlockBlobClient(name)
    .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
}

async function getJson<T>(storage: Storage, container: string, name: string): Promise<T | undefined> {
  const client = await storage.container(container);
  const text = await downloadText(client.getBlobClient(name));
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

export class BlobRunRecords implements RunRecords {
  constructor(private readonly storage: Storage) {}

  async saveRun(run: SyncRun): Promise<void> {
    await putJson(this.storage, SYNC_RUNS_CONTAINER, `${run.runId}.json`, run);
    // The history summary follows the record; a crash between the two leaves only the summary one save behind.
    await new SyncRunIndex(this.storage).record(run);
  }

  async getRun(runId: string): Promise<SyncRun | undefined> {
    if (!/^[\w-]{1,100}$/.test(runId)) return undefined;
    return getJson<SyncRun>(this.storage, SYNC_RUNS_CONTAINER, `${runId}.json`);
  }
}

export class TableRunLeases implements RunLeases {
  constructor(
    private readonly storage: Pick<StorageClients, 'table'>,
    private readonly clock: () => number,
  ) {}

  private table(): Promise<TableClient> {
    return this.storage.table(SYNC_STATE_TABLE);
  }

  async acquireLease(jobId: string, runId: string, ttlMs: number): Promise<RunLease | { heldBy: string }> {
    const table = await this.table();
    const entity = () => ({ partitionKey: jobId, rowKey: 'lease', runId, expiresAt: this.clock() + ttlMs });
    let etag: string | undefined;
    let takenOver: string | undefined;
    const created = await orUndefined(table.createEntity(entity()), 409);
    if (created) etag = created.etag;
    else {
      const held = await orUndefined(table.getEntity<Entity>(jobId, 'lease'), 404);
      if (!held) return this.acquireLease(jobId, runId, ttlMs);
      if (Number(held.expiresAt) > this.clock()) return { heldBy: String(held.runId) };
      const replaced = await orUndefined(table.updateEntity(entity(), 'Replace', { etag: held.etag }), 404, 412);
      if (!replaced) return { heldBy: 'another run' };
      etag = replaced.etag;
      takenOver = String(held.runId);
    }
    const renewOnce = async (): Promise<boolean> => {
      const renewed = await orUndefined(table.updateEntity(entity(), 'Replace', { etag }), 404, 412);
      if (!renewed) return false;
      etag = renewed.etag;
      return true;
    };
    // Renewals are conditional on the etag of the previous one, so a heartbeat and a fence must not race each other.
    let last: Promise<boolean> = Promise.resolve(true);
    const lease: RunLease = {
      runId,
      ...(takenOver ? { takenOver } : {}),
      renew: () => {
        last = last.then(renewOnce, renewOnce);
        return last;
      },
      release: async () => {
        await orUndefined(table.deleteEntity(jobId, 'lease', { etag }), 404, 412);
      },
    };
    return lease;
  }
}

export class TableScheduleStore implements ScheduleStore {
  constructor(private readonly storage: Pick<StorageClients, 'table'>) {}

  private table(): Promise<TableClient> {
    return this.storage.table(SYNC_STATE_TABLE);
  }

  async getScheduleState(jobId: string): Promise<ScheduleState | undefined> {
    const table = await this.table();
    const e = await orUndefined(table.getEntity<Entity>(jobId, 'schedule'), 404);
    if (!e) return undefined;
    return {
      ...(typeof e.lastScheduledFor === 'string' ? { lastScheduledFor: e.lastScheduledFor } : {}),
      ...(typeof e.lastRunId === 'string' ? { lastRunId: e.lastRunId } : {}),
    };
  }

  async setScheduleState(jobId: string, state: ScheduleState): Promise<void> {
    const table = await this.table();
    await table.upsertEntity({ partitionKey: jobId, rowKey: 'schedule', ...state }, 'Replace');
  }
}

const TYPE_CODES: readonly (MemberType | 'other')[] = ['user', 'group', 'device', 'servicePrincipal', 'other'];
/** The member list as stored before columns: one small array per member (still read). */
type PackedMember = [string, number, (string | null)?, (0 | 1 | null)?];

/**
 * The member list as stored now: one column per fact, so a 200,000-member snapshot parses into a few arrays and
 * strings instead of 200,000 small arrays (about 25 MB of short-lived heap each time it is loaded or saved).
 */
interface MemberColumns {
  readonly ids: string[];
  /** One digit per member: its index in TYPE_CODES. */
  readonly types: string;
  /** One character per member ('' when the snapshot does not hold userType): `-` for null, else an index into userTypeValues. */
  readonly userTypes: string;
  readonly userTypeValues: string[];
  /** One character per member ('' when the snapshot does not hold accountEnabled): 1, 0, or `-` for null. */
  readonly enabled: string;
}

type StoredSnapshot = Omit<GroupSnapshot, 'members'> & ({ members: PackedMember[] } | { columns: MemberColumns });

function toColumns(members: readonly MemberFacts[], properties: readonly MemberProperty[]): MemberColumns {
  const holdsUserType = properties.includes('userType');
  const holdsEnabled = properties.includes('accountEnabled');
  const userTypeValues: string[] = [];
  const types: string[] = [];
  const userTypes: string[] = [];
  const enabled: string[] = [];
  for (const m of members) {
    types.push(String(Math.max(0, TYPE_CODES.indexOf(m.type))));
    if (holdsUserType) {
      let at = m.userType === undefined || m.userType === null ? -1 : userTypeValues.indexOf(m.userType);
      if (at === -1 && typeof m.userType === 'string') at = userTypeValues.push(m.userType) - 1;
      userTypes.push(at === -1 ? '-' : String.fromCharCode(48 + at));
    }
    if (holdsEnabled) enabled.push(m.accountEnabled === true ? '1' : m.accountEnabled === false ? '0' : '-');
  }
  return {
    ids: members.map((m) => m.id),
    types: types.join(''),
    userTypes: userTypes.join(''),
    userTypeValues,
    enabled: enabled.join(''),
  };
}

/** Decodes a tri-state column character: `1`, `0`, or `-` (and nothing) for null. */
const enabledOf = (e: string | undefined): boolean | null => (e === '1' ? true : e === '0' ? false : null);

function fromColumns(c: MemberColumns, properties: readonly MemberProperty[], intern: (id: string) => string): MemberFacts[] {
  return c.ids.map((id, i) => {
    const u = c.userTypes[i];
    const userType = u === undefined || u === '-' ? null : (c.userTypeValues[u.charCodeAt(0) - 48] ?? null);
    return memberFacts(
      intern(id),
      TYPE_CODES[c.types.charCodeAt(i) - 48] ?? 'other',
      properties,
      userType,
      enabledOf(c.enabled[i]),
    );
  });
}

function unpack(p: PackedMember, properties: readonly MemberProperty[], intern: (id: string) => string): MemberFacts {
  const enabled = p[3] === 1 ? true : p[3] === 0 ? false : null;
  return memberFacts(intern(p[0]), TYPE_CODES[p[1]] ?? 'other', properties, p[2], enabled);
}

export class BlobSnapshotStore implements SnapshotStore {
  constructor(private readonly storage: Storage) {}

  async loadSnapshot(
    jobId: string,
    groupId: string,
    intern: (id: string) => string = (id) => id,
  ): Promise<GroupSnapshot | undefined> {
    const stored = await getJson<StoredSnapshot>(this.storage, SYNC_STATE_CONTAINER, `${jobId}/groups/${groupId}.json`);
    if (!stored) return undefined;
    if ('columns' in stored) {
      const { columns, ...rest } = stored;
      return { ...rest, members: fromColumns(columns, stored.properties, intern) };
    }
    const { members, ...rest } = stored;
    return { ...rest, members: members.map((p) => unpack(p, stored.properties, intern)) };
  }

  async saveSnapshot(jobId: string, snapshot: GroupSnapshot): Promise<void> {
    const { members, ...rest } = snapshot;
    await putJson(this.storage, SYNC_STATE_CONTAINER, `${jobId}/groups/${snapshot.groupId}.json`, {
      ...rest,
      columns: toColumns(members, snapshot.properties),
    });
  }
}

export class BlobMemberLedger implements MemberLedger {
  constructor(private readonly storage: Storage) {}

  async loadLedger(jobId: string): Promise<Set<string>> {
    return new Set((await getJson<string[]>(this.storage, SYNC_STATE_CONTAINER, `${jobId}/ledger.json`)) ?? []);
  }

  async saveLedger(jobId: string, ids: ReadonlySet<string>): Promise<void> {
    await putJson(this.storage, SYNC_STATE_CONTAINER, `${jobId}/ledger.json`, [...ids].sort());
  }
}

/** Snapshots, ledger, lease and schedule rows of a deleted job. */
export class SyncStateCleanup implements JobStateCleanup {
  constructor(private readonly storage: Storage) {}

  async deleteJobState(jobId: string): Promise<void> {
    const container = await this.storage.container(SYNC_STATE_CONTAINER);
    for await (const blob of container.listBlobsFlat({ prefix: `${jobId}/` }))
      await container.deleteBlob(blob.name, { deleteSnapshots: 'include' });
    const table = await this.storage.table(SYNC_STATE_TABLE);
    for (const row of ['lease', 'schedule']) await orUndefined(table.deleteEntity(jobId, row), 404);
  }
}
