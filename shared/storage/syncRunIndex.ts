/**
 * Table `syncruns`: one small summary per run, written each time the run record is saved, twice: under
 * `job-{jobId}` (a job's history) and under `day-{yyyy-mm-dd}` (the last 24 h for the overview without a table scan).
 * Row keys sort newest first (inverted start time), so a page of history is one partition query.
 */

import type { TableClient } from '@azure/data-tables';

import { type RunHistory, type RunSummary, summarizeRun } from '../sync/history';
import type { SyncRun } from '../sync/jobModel';
import type { StorageClients } from './clients';

export const SYNC_RUNS_TABLE = 'syncruns';
const MAX_TIME = 9_999_999_999_999;

const rowKey = (run: Pick<SyncRun, 'startedAt' | 'runId'>): string =>
  `${String(MAX_TIME - Date.parse(run.startedAt)).padStart(13, '0')}_${run.runId}`;
const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

export class SyncRunIndex implements RunHistory {
  constructor(private readonly storage: Pick<StorageClients, 'table'>) {}

  private table(): Promise<TableClient> {
    return this.storage.table(SYNC_RUNS_TABLE);
  }

  async record(run: SyncRun): Promise<void> {
    const table = await this.table();
    const summary = JSON.stringify(summarizeRun(run));
    const entity = { rowKey: rowKey(run), summary, startedAt: run.startedAt };
    await table.upsertEntity({ partitionKey: `job-${run.jobId}`, ...entity }, 'Replace');
    await table.upsertEntity({ partitionKey: `day-${dayOf(new Date(run.startedAt))}`, ...entity }, 'Replace');
  }

  async forJob(jobId: string, top: number, after?: string): Promise<{ runs: RunSummary[]; next?: string }> {
    const table = await this.table();
    const filter = `PartitionKey eq 'job-${jobId.replace(/'/g, "''")}'${after ? ` and RowKey gt '${after.replace(/'/g, "''")}'` : ''}`;
    const runs: RunSummary[] = [];
    let last: string | undefined;
    for await (const e of table.listEntities<{ summary: string }>({ queryOptions: { filter } })) {
      if (runs.length === top) return { runs, next: last ?? '' };
      runs.push(JSON.parse(e.summary) as RunSummary);
      last = e.rowKey;
    }
    return { runs };
  }

  async since(since: Date): Promise<RunSummary[]> {
    const table = await this.table();
    const out: RunSummary[] = [];
    const days = new Set<string>();
    for (let t = since.getTime(); t <= Date.now() + 86_400_000; t += 86_400_000) days.add(dayOf(new Date(t)));
    for (const day of [...days].sort().reverse()) {
      const filter = `PartitionKey eq 'day-${day}' and startedAt ge '${since.toISOString()}'`;
      for await (const e of table.listEntities<{ summary: string }>({ queryOptions: { filter } })) {
        out.push(JSON.parse(e.summary) as RunSummary);
      }
    }
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }
}
