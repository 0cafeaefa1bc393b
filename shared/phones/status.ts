/** `GET /api/phone-imports/{importId}`: the import record with progress summed from finished chunks. */

import type { ChunkLedger, ImportRecords } from './ports';
import { addCounts, emptyCounts, type ImportStatus, type RowCounts } from './types';

export interface ImportProgress {
  readonly importId: string;
  readonly file: string;
  readonly status: ImportStatus;
  readonly dryRun: boolean;
  readonly rows: { readonly total: number; readonly done: number } & RowCounts;
  readonly resultsBlob: string | null;
  readonly summaryBlob: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly problem: { readonly code: string; readonly message: string; readonly line?: number } | null;
}

export async function importProgress(
  importId: string,
  deps: { records: Pick<ImportRecords, 'get'>; chunks: Pick<ChunkLedger, 'listChunks'> },
): Promise<ImportProgress | undefined> {
  const record = await deps.records.get(importId);
  if (!record) return undefined;
  const counts = emptyCounts();
  if (record.status === 'running' || record.status === 'completed') {
    for (const c of await deps.chunks.listChunks(importId)) if (c.state === 'done' && c.counts) addCounts(counts, c.counts);
  }
  const done = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    importId: record.importId,
    file: record.file,
    status: record.status,
    dryRun: record.dryRun,
    rows: { total: record.totalRows, done, ...counts },
    resultsBlob: record.resultsBlob ?? null,
    summaryBlob: record.summaryBlob ?? null,
    createdAt: record.createdAt,
    finishedAt: record.finishedAt ?? null,
    problem: record.problem ?? null,
  };
}
