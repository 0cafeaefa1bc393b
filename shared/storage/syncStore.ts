import type { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';

import { conflict } from '../errors';
import type { MemberType, SyncJob, SyncRun } from '../sync/jobModel';
import type {
  GroupSnapshot,
  JobRecord,
  JobRepository,
  MemberFacts,
  MemberProperty,
  RunLease,
  SyncStateStore,
} from '../sync/ports';
import { downloadText } from './blobText';
import type { StorageClients } from './clients';
import { orUndefined } from './storageErrors';
import { SyncRunIndex } from './syncRunIndex';

/**
 * Group sync state in the app's storage account:
 * - table `syncjobs`: one entity per job (partition `job`) and one claim per target (partition `target`), the job JSON split over string properties (a Table string
 *   property holds 32K characters; a job with 1,000 protected ids is ~40 KB), optimistic concurrency by etag;
 * - table `syncstate`: per job the run lease (`lease`, taken and renewed by etag so two hosts never run one job at once)
 *   and schedule bookkeeping (`schedule`);
 * - container `sync-runs`: run records as JSON blobs (a 50k-member plan is ~2 MB, over the 1 MB entity limit);
 * - container `sync-state`: per job `{jobId}/groups/{groupId}.json` member snapshots with their delta link, and
 *   `{jobId}/ledger.json`, the members the job added (additive mode removes only those).
 */
export const SYNC_JOBS_TABLE = 'syncjobs';
export const SYNC_STATE_TABLE = 'syncstate';
export const SYNC_RUNS_CONTAINER = 'sync-runs';
export const SYNC_STATE_CONTAINER = 'sync-state';

const JOB_PARTITION = 'job';
const TARGET_PARTITION = 'target';
const CHUNK_CHARS = 30_000;

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function splitJson(value: unknown): Record<string, string | number> {
  const text = JSON.stringify(value);
  const out: Record<string, string | number> = { chunks: Math.max(1, Math.ceil(text.length / CHUNK_CHARS)) };
  for (let i = 0; i * CHUNK_CHARS < text.length || i === 0; i++)
    out[`body${i}`] = text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return out;
}

function joinJson<T>(entity: Record<string, unknown>): T {
  const chunks = Number(entity.chunks ?? 1);
  let text = '';
  for (let i = 0; i < chunks; i++) {
    const part = entity[`body${i}`];
    text += typeof part === 'string' ? part : '';
  }
  return JSON.parse(text) as T;
}

const TYPE_CODES: readonly (MemberType | 'other')[] = ['user', 'group', 'device', 'servicePrincipal', 'other'];
type PackedMember = [string, number, (string | null)?, (0 | 1 | null)?];

function pack(m: MemberFacts): PackedMember {
  const out: PackedMember = [m.id, Math.max(0, TYPE_CODES.indexOf(m.type))];
  if (m.userType !== undefined || m.accountEnabled !== undefined) out.push(m.userType ?? null);
  if (m.accountEnabled !== undefined) out.push(m.accountEnabled === null ? null : m.accountEnabled ? 1 : 0);
  return out;
}

function unpack(p: PackedMember, properties: readonly MemberProperty[]): MemberFacts {
  const type = TYPE_CODES[p[1]] ?? 'other';
  const facts: { -readonly [K in keyof MemberFacts]: MemberFacts[K] } = { id: p[0], type };
  if (properties.includes('userType') && type === 'user') facts.userType = p[2] ?? null;
  if (properties.includes('accountEnabled') && type !== 'group')
    facts.accountEnabled = p[3] === undefined || p[3] === null ? null : p[3] === 1;
  return facts;
}

export class SyncStore implements JobRepository, SyncStateStore {
  constructor(
    private readonly storage: Pick<StorageClients, 'table' | 'container'>,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  private jobsTable(): Promise<TableClient> {
    return this.storage.table(SYNC_JOBS_TABLE);
  }
  private stateTable(): Promise<TableClient> {
    return this.storage.table(SYNC_STATE_TABLE);
  }

  private async putJson(container: string, name: string, value: unknown): Promise<void> {
    const client: ContainerClient = await this.storage.container(container);
    const text = JSON.stringify(value);
    await client
      .getBlockBlobClient(name)
      .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  private async getJson<T>(container: string, name: string): Promise<T | undefined> {
    const client = await this.storage.container(container);
    const text = await downloadText(client.getBlobClient(name));
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  // --- jobs ---------------------------------------------------------------------------------------------------

  async list(): Promise<SyncJob[]> {
    const table = await this.jobsTable();
    const out: SyncJob[] = [];
    for await (const e of table.listEntities<Entity>({ queryOptions: { filter: `PartitionKey eq '${JOB_PARTITION}'` } }))
      out.push(joinJson<SyncJob>(e));
    return out;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const table = await this.jobsTable();
    const e = await orUndefined(table.getEntity<Entity>(JOB_PARTITION, jobId), 404);
    return e ? { job: joinJson<SyncJob>(e), etag: e.etag } : undefined;
  }

  /**
   * One job per target, enforced here as well as in the use case: a claim row (partition `target`, row key = target
   * id) is inserted first, so two saves racing for one target cannot both succeed. A claim whose job is gone is stale
   * and taken over.
   */
  private async claimTarget(table: TableClient, targetId: string, jobId: string): Promise<void> {
    const created = await orUndefined(table.createEntity({ partitionKey: TARGET_PARTITION, rowKey: targetId, jobId }), 409);
    if (created) return;
    const claim = await orUndefined(table.getEntity<Entity>(TARGET_PARTITION, targetId), 404);
    if (!claim) return this.claimTarget(table, targetId, jobId);
    const holder = String(claim.jobId);
    if (holder === jobId) return;
    if (await orUndefined(table.getEntity<Entity>(JOB_PARTITION, holder), 404)) {
      throw conflict(
        'SYNC_TARGET_IN_USE',
        `Job ${holder} already writes target ${targetId}; two jobs on one target would undo each other`,
        { jobId: holder },
      );
    }
    const taken = await orUndefined(
      table.updateEntity({ partitionKey: TARGET_PARTITION, rowKey: targetId, jobId }, 'Replace', { etag: claim.etag }),
      404,
      412,
    );
    if (!taken) return this.claimTarget(table, targetId, jobId);
  }

  private async releaseTarget(table: TableClient, targetId: string, jobId: string): Promise<void> {
    const claim = await orUndefined(table.getEntity<Entity>(TARGET_PARTITION, targetId), 404);
    if (claim && String(claim.jobId) === jobId)
      await orUndefined(table.deleteEntity(TARGET_PARTITION, targetId, { etag: claim.etag }), 404, 412);
  }

  async create(job: SyncJob): Promise<void> {
    const table = await this.jobsTable();
    await this.claimTarget(table, job.target, job.jobId);
    try {
      await table.createEntity({ partitionKey: JOB_PARTITION, rowKey: job.jobId, ...splitJson(job) });
    } catch (err) {
      await this.releaseTarget(table, job.target, job.jobId);
      throw err;
    }
  }

  async replace(job: SyncJob, etag: string): Promise<boolean> {
    const table = await this.jobsTable();
    const previous = await this.get(job.jobId);
    if (!previous) return false;
    if (previous.job.target !== job.target) await this.claimTarget(table, job.target, job.jobId);
    const done = await orUndefined(
      table.updateEntity({ partitionKey: JOB_PARTITION, rowKey: job.jobId, ...splitJson(job) }, 'Replace', { etag }),
      404,
      412,
    );
    if (previous.job.target !== job.target) await this.releaseTarget(table, done ? previous.job.target : job.target, job.jobId);
    return done !== undefined;
  }

  async delete(jobId: string): Promise<boolean> {
    const table = await this.jobsTable();
    const previous = await this.get(jobId);
    const deleted = (await orUndefined(table.deleteEntity(JOB_PARTITION, jobId), 404)) !== undefined;
    if (previous) await this.releaseTarget(table, previous.job.target, jobId);
    return deleted;
  }

  // --- runs ---------------------------------------------------------------------------------------------------

  async saveRun(run: SyncRun): Promise<void> {
    await this.putJson(SYNC_RUNS_CONTAINER, `${run.runId}.json`, run);
    // The history summary follows the record; a crash between the two leaves only the summary one save behind.
    await new SyncRunIndex(this.storage).record(run);
  }

  async getRun(runId: string): Promise<SyncRun | undefined> {
    if (!/^[\w-]{1,100}$/.test(runId)) return undefined;
    return this.getJson<SyncRun>(SYNC_RUNS_CONTAINER, `${runId}.json`);
  }

  // --- lease and schedule -------------------------------------------------------------------------------------

  async acquireLease(jobId: string, runId: string, ttlMs: number): Promise<RunLease | { heldBy: string }> {
    const table = await this.stateTable();
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

  async getScheduleState(jobId: string): Promise<{ lastScheduledFor?: string; lastRunId?: string } | undefined> {
    const table = await this.stateTable();
    const e = await orUndefined(table.getEntity<Entity>(jobId, 'schedule'), 404);
    if (!e) return undefined;
    return {
      ...(typeof e.lastScheduledFor === 'string' ? { lastScheduledFor: e.lastScheduledFor } : {}),
      ...(typeof e.lastRunId === 'string' ? { lastRunId: e.lastRunId } : {}),
    };
  }

  async setScheduleState(jobId: string, state: { lastScheduledFor?: string; lastRunId?: string }): Promise<void> {
    const table = await this.stateTable();
    await table.upsertEntity({ partitionKey: jobId, rowKey: 'schedule', ...state }, 'Replace');
  }

  // --- snapshots and ledger -----------------------------------------------------------------------------------

  async loadSnapshot(jobId: string, groupId: string): Promise<GroupSnapshot | undefined> {
    const stored = await this.getJson<Omit<GroupSnapshot, 'members'> & { members: PackedMember[] }>(
      SYNC_STATE_CONTAINER,
      `${jobId}/groups/${groupId}.json`,
    );
    if (!stored) return undefined;
    return { ...stored, members: stored.members.map((p) => unpack(p, stored.properties)) };
  }

  async saveSnapshot(jobId: string, snapshot: GroupSnapshot): Promise<void> {
    await this.putJson(SYNC_STATE_CONTAINER, `${jobId}/groups/${snapshot.groupId}.json`, {
      ...snapshot,
      members: snapshot.members.map(pack),
    });
  }

  async loadLedger(jobId: string): Promise<Set<string>> {
    return new Set((await this.getJson<string[]>(SYNC_STATE_CONTAINER, `${jobId}/ledger.json`)) ?? []);
  }

  async saveLedger(jobId: string, ids: ReadonlySet<string>): Promise<void> {
    await this.putJson(SYNC_STATE_CONTAINER, `${jobId}/ledger.json`, [...ids].sort());
  }

  async deleteJobState(jobId: string): Promise<void> {
    const container = await this.storage.container(SYNC_STATE_CONTAINER);
    for await (const blob of container.listBlobsFlat({ prefix: `${jobId}/` }))
      await container.deleteBlob(blob.name, { deleteSnapshots: 'include' });
    const table = await this.stateTable();
    for (const row of ['lease', 'schedule']) await orUndefined(table.deleteEntity(jobId, row), 404);
  }
}
