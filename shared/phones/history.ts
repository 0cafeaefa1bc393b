/**
 * Read models for the console and the API: recent imports with their progress, an import's result rows filtered by
 * status or text (the rows the results file is written from, so both always agree), and the results file itself.
 */

import { z } from 'zod';

import type { ChunkLedger, ImportFiles, ImportRecord, ImportRecords, RowStore } from './ports';
import { type ImportProgress, importProgress } from './status';
import { ROW_STATUSES, type RowStatus } from './types';

export interface ImportHistory {
  /** Newest first. */
  recent(top: number): Promise<ImportRecord[]>;
}

export async function recentImports(
  top: number,
  deps: { history: ImportHistory; records: Pick<ImportRecords, 'get'>; chunks: Pick<ChunkLedger, 'listChunks'> },
): Promise<ImportProgress[]> {
  const records = await deps.history.recent(top);
  const out: ImportProgress[] = [];
  for (const r of records) {
    const progress = await importProgress(r.importId, deps);
    if (progress) out.push(progress);
  }
  return out;
}

export interface RowFilter {
  readonly status?: RowStatus;
  /** Case-insensitive text searched in the user, action and reason. */
  readonly text?: string;
  readonly skip: number;
  readonly top: number;
}

export interface ResultRow {
  readonly line: number;
  readonly user: string;
  readonly phoneNumber: string;
  readonly status: RowStatus | 'pending';
  readonly action: string;
  readonly reason: string;
}

export interface RowPage {
  readonly importId: string;
  readonly total: number;
  readonly skip: number;
  readonly top: number;
  readonly value: readonly ResultRow[];
  /** Distinct reasons among the matching rows (up to 50), for a filter list. */
  readonly reasons: readonly string[];
}

export const isRowStatus = (s: string): s is RowStatus => (ROW_STATUSES as readonly string[]).includes(s);

export async function importRows(
  importId: string,
  filter: RowFilter,
  deps: { chunks: Pick<ChunkLedger, 'listChunks'>; rows: RowStore },
): Promise<RowPage> {
  const text = filter.text?.toLowerCase();
  const value: ResultRow[] = [];
  const reasons = new Set<string>();
  let total = 0;
  const chunks = (await deps.chunks.listChunks(importId)).sort((a, b) => a.chunk - b.chunk);
  for (const chunk of chunks) {
    for (const row of await deps.rows.chunkRows(importId, chunk.chunk)) {
      const result: ResultRow = {
        line: row.line,
        user: row.user,
        phoneNumber: row.maskedPhone,
        status: row.state === 'done' ? (row.status ?? 'failed') : 'pending',
        action: row.action ?? (row.state === 'done' ? 'none' : ''),
        reason: row.reason ?? '',
      };
      if (filter.status && result.status !== filter.status) continue;
      if (text && !`${result.user}\n${result.action}\n${result.reason}`.toLowerCase().includes(text)) continue;
      if (result.reason && reasons.size < 50) reasons.add(result.reason);
      if (total >= filter.skip && value.length < filter.top) value.push(result);
      total += 1;
    }
  }
  return { importId, total, skip: filter.skip, top: filter.top, value, reasons: [...reasons].sort() };
}

/** The results file as written by the import, or undefined while there is none. */
export async function resultsFile(
  importId: string,
  deps: { records: Pick<ImportRecords, 'get'>; files: ImportFiles },
): Promise<{ name: string; body: AsyncIterable<Uint8Array> } | undefined> {
  const record = await deps.records.get(importId);
  if (!record?.resultsBlob || (await deps.files.size(record.resultsBlob)) === undefined) return undefined;
  return { name: record.resultsBlob.split('/').pop() ?? 'results.csv', body: deps.files.read(record.resultsBlob) };
}

/** `GET /api/phone-imports?top=` */
export const listQuery = z.object({ top: z.coerce.number().int().min(1).max(100).default(20) });

/** `GET /api/phone-imports/{importId}/rows?status=&q=&skip=&top=` */
export const rowsQuery = z.object({
  status: z.enum(ROW_STATUSES).optional(),
  q: z.string().trim().max(200).optional(),
  skip: z.coerce.number().int().min(0).max(10_000_000).default(0),
  top: z.coerce.number().int().min(1).max(1000).default(100),
});
