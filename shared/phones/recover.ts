/**
 * Use cases that finish imports the normal path could not: a chunk message the queue gave up on (moved to
 * `phone-import-chunks-poison` after its last delivery failed), and imports stuck in `running` because a chunk's message
 * was lost. Either way the chunk's unsettled rows are recorded `failed` with the reason, the chunk is completed and the
 * import finalized, so every import ends with a results file.
 */

import { type FinalizeDeps, finalizeIfDone } from './finalize';
import { importFile, type ImportFileDeps, VALIDATION_LEASE_MS } from './importFile';
import type { ChunkLedger, ChunkMessage, ImportRecords, StoredRow, UnfinishedImports } from './ports';
import { emptyCounts } from './types';

export type RecoverResult = 'failed' | 'alreadyDone' | 'stale';

/** An import is stuck when none of its chunks changed for this long (longer than the longest deferral, 10 min). */
export const STUCK_AFTER_MS = 60 * 60_000;

export interface FailChunkDeps extends FinalizeDeps {
  readonly chunks: Pick<ChunkLedger, 'anyPending' | 'listChunks' | 'completeChunk'>;
}

export async function failChunk(message: ChunkMessage, reason: string, deps: FailChunkDeps): Promise<RecoverResult> {
  const record = await deps.records.get(message.importId);
  if (!record || record.status !== 'running') return 'stale';
  const rows = await deps.rows.chunkRows(message.importId, message.chunk);
  const open = rows.filter((r) => r.state !== 'done');
  if (
    open.length === 0 &&
    (await deps.chunks.listChunks(message.importId)).find((c) => c.chunk === message.chunk)?.state === 'done'
  ) {
    await finalizeIfDone(message.importId, deps);
    return 'alreadyDone';
  }
  await deps.rows.patchRows(
    message.importId,
    message.chunk,
    open.map((r) => ({
      line: r.line,
      state: 'done' as const,
      status: 'failed' as const,
      action: 'none',
      reason: failReason(r, reason),
      phoneNumber: '',
    })),
  );
  const counts = emptyCounts();
  for (const r of rows) counts[r.state === 'done' ? (r.status ?? 'failed') : 'failed']++;
  await deps.chunks.completeChunk(message.importId, message.chunk, counts);
  deps.log.warn(
    { importId: message.importId, chunk: message.chunk, rows: open.length, reason },
    'phone import: chunk failed without being applied',
  );
  await finalizeIfDone(message.importId, deps);
  return 'failed';
}

function failReason(row: StoredRow, reason: string): string {
  const retry = 'drop the file again under a new name to retry this row';
  return row.state === 'applying'
    ? `${reason}; the change may have been applied: check the user's phone methods, or ${retry}`
    : `${reason}; ${retry}`;
}

/** Validates stuck files again (importFile), fails lost chunks and finalizes: it touches every part of the chunk ledger. */
export interface SweepDeps extends ImportFileDeps, FailChunkDeps {
  readonly records: ImportRecords;
  readonly chunks: ChunkLedger;
  readonly unfinished: UnfinishedImports;
  readonly clock: () => Date;
}

/**
 * Finishes stuck imports. `validating` for longer than the validation lease: the validating delivery died and no other
 * came, so the file is validated again from where it lies. `running` with no chunk changed for `STUCK_AFTER_MS` and no
 * worker holding a chunk: chunks still pending have no message left, so their rows fail with the reason; an import
 * whose chunks are all done but never finalized (the finalizer died) is finalized.
 */
export async function sweepStuckImports(deps: SweepDeps, stuckAfterMs = STUCK_AFTER_MS): Promise<string[]> {
  const now = deps.clock().getTime();
  const finished: string[] = [];
  for (const record of await deps.unfinished.listUnfinished()) {
    if (record.status === 'validating') {
      if (now - Date.parse(record.updatedAt) < Math.max(stuckAfterMs, VALIDATION_LEASE_MS)) continue;
      await importFile({ path: record.source, file: record.file, dryRun: record.dryRun }, deps);
      finished.push(record.importId);
      continue;
    }
    const chunks = await deps.chunks.listChunks(record.importId);
    const lastChange = Math.max(Date.parse(record.updatedAt), ...chunks.map((c) => Date.parse(c.updatedAt ?? record.updatedAt)));
    if (now - lastChange < stuckAfterMs || chunks.some((c) => (c.leaseUntil ?? 0) > now)) continue;
    for (const c of chunks.filter((x) => x.state !== 'done')) {
      await failChunk(
        { importId: record.importId, chunk: c.chunk },
        `the chunk was never processed (its queue message was lost; nothing changed for ${Math.round(stuckAfterMs / 60_000)} min)`,
        deps,
      );
    }
    await finalizeIfDone(record.importId, deps);
    finished.push(record.importId);
  }
  return finished;
}
