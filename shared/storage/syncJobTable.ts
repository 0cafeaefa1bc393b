/**
 * Sync job definitions in table `syncjobs`: one entity per job (partition `job`) and one claim per target (partition
 * `target`), the job JSON split over string properties (a Table string property holds 32K characters; a job with 1,000
 * protected ids is ~40 KB), optimistic concurrency by etag.
 */

import type { TableClient } from '@azure/data-tables';

import { conflict } from '../errors';
import type { SyncJob } from '../sync/jobModel';
import type { JobRecord, JobRepository } from '../sync/ports';
import type { StorageClients } from './clients';
import { orUndefined } from './storageErrors';

export const SYNC_JOBS_TABLE = 'syncjobs';

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

export class SyncJobTable implements JobRepository {
  constructor(private readonly storage: Pick<StorageClients, 'table'>) {}

  private table(): Promise<TableClient> {
    return this.storage.table(SYNC_JOBS_TABLE);
  }

  async list(): Promise<SyncJob[]> {
    const table = await this.table();
    const out: SyncJob[] = [];
    for await (const e of table.listEntities<Entity>({ queryOptions: { filter: `PartitionKey eq '${JOB_PARTITION}'` } }))
      out.push(joinJson<SyncJob>(e));
    return out;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const table = await this.table();
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
    const table = await this.table();
    await this.claimTarget(table, job.target, job.jobId);
    try {
      await table.createEntity({ partitionKey: JOB_PARTITION, rowKey: job.jobId, ...splitJson(job) });
    } catch (err) {
      await this.releaseTarget(table, job.target, job.jobId);
      throw err;
    }
  }

  async replace(job: SyncJob, etag: string): Promise<boolean> {
    const table = await this.table();
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
    const table = await this.table();
    const previous = await this.get(jobId);
    const deleted = (await orUndefined(table.deleteEntity(JOB_PARTITION, jobId), 404)) !== undefined;
    if (previous) await this.releaseTarget(table, previous.job.target, jobId);
    return deleted;
  }
}
