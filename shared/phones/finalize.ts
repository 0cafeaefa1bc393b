/**
 * Use case 3 of 3: when every chunk is done, write `results/<name>.results.csv` (streamed chunk by chunk, in input
 * order) and `results/<name>.summary.json`, move the input to processed/ and mark the import completed. Every step
 * is idempotent (same blobs, same content), so two workers finishing the last chunks together, or a retry after a
 * crash half-way, end in the same state.
 */

import type { AuditSink } from '../audit';
import { processedPath, resultsPath, summaryPath } from './files';
import type {
  ChunkLedger,
  FinalizeLease,
  ImportFiles,
  ImportRecord,
  ImportRecords,
  JobLog,
  PhoneSettings,
  RowStore,
} from './ports';
import { type ImportSummary, resultLine, RESULTS_HEADER } from './results';
import { addCounts, emptyCounts, importOutcome, type RowCounts } from './types';

export interface FinalizeDeps {
  readonly files: ImportFiles;
  readonly records: Pick<ImportRecords, 'get' | 'update'>;
  readonly finalizeLease: FinalizeLease;
  readonly rows: RowStore;
  readonly chunks: Pick<ChunkLedger, 'anyPending' | 'listChunks'>;
  readonly settings: PhoneSettings;
  readonly log: JobLog;
  readonly audit?: AuditSink;
  readonly actor?: string;
  readonly now?: () => Date;
  /** Who finalizes (the chunk message's delivery id): two workers finishing the last chunks together must not both write. */
  readonly owner?: string;
}

export async function finalizeIfDone(importId: string, deps: FinalizeDeps): Promise<boolean> {
  const record = await deps.records.get(importId);
  if (!record || record.status !== 'running') return false;
  // Asked after every chunk: one cheap query until the last chunk is done, not a listing of all chunks each time.
  if (await deps.chunks.anyPending(importId)) return false;
  const chunks = await deps.chunks.listChunks(importId);
  if (chunks.length < record.chunkCount || chunks.some((c) => c.state !== 'done')) return false;
  // The loser of this race returns; if the winner dies, its redelivered message retakes the lease (same owner).
  if (!(await deps.finalizeLease.claimFinalize(importId, deps.owner ?? 'finalizer', 10 * 60_000))) return false;
  await finalize(
    record,
    chunks.map((c) => c.counts ?? emptyCounts()),
    deps,
  );
  return true;
}

async function* resultLines(record: ImportRecord, rows: RowStore): AsyncGenerator<string> {
  yield RESULTS_HEADER;
  for (let chunk = 0; chunk < record.chunkCount; chunk++) {
    const list = await rows.chunkRows(record.importId, chunk);
    yield list.map(resultLine).join('');
  }
}

async function finalize(record: ImportRecord, chunkCounts: readonly RowCounts[], deps: FinalizeDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const counts = emptyCounts();
  for (const c of chunkCounts) addCounts(counts, c);
  const results = resultsPath(record.importId, record.file);
  const finishedAt = now().toISOString();
  const s = deps.settings;
  const summary: ImportSummary = {
    importId: record.importId,
    file: record.file,
    dryRun: record.dryRun,
    status: 'completed',
    startedAt: record.createdAt,
    finishedAt,
    rows: { total: record.totalRows, ...counts },
    settings: {
      overwrite: s.overwrite,
      enableSmsSignInByDefault: s.enableSmsSignInByDefault,
      enableSmsWithoutLicence: s.enableSmsWithoutLicence,
      smsSignInGroupId: s.smsSignInGroupId ?? null,
      defaultRegion: s.defaultRegion ?? null,
    },
    resultsBlob: results,
  };
  await deps.files.write(results, resultLines(record, deps.rows), 'text/csv; charset=utf-8');
  await deps.files.write(summaryPath(record.importId, record.file), JSON.stringify(summary, null, 2), 'application/json');
  const target = processedPath(record.importId, record.file);
  if (record.source !== target) await deps.files.move(record.source, target);
  const completed = await deps.records.update(
    record.importId,
    {
      status: 'completed',
      source: target,
      resultsBlob: results,
      summaryBlob: summaryPath(record.importId, record.file),
      finishedAt,
      updatedAt: finishedAt,
    },
    'running',
  );
  if (!completed) return;
  deps.log.info({ importId: record.importId, file: record.file, dryRun: record.dryRun, counts }, 'phone import: completed');
  await deps.audit?.write([
    {
      action: 'phones.import',
      outcome: record.dryRun ? 'planned' : importOutcome(counts),
      actor: deps.actor ?? 'system',
      target: record.file,
      job: 'phones',
      runId: record.importId,
      details: { rows: record.totalRows, ...counts, dryRun: record.dryRun, resultsBlob: results },
    },
  ]);
}
