/**
 * Use case 2 of 3: the queue worker for one chunk of rows: claim the chunk → work its rows (runRows.ts: read what
 * Graph knows in `$batch` calls, plan, mark `applying`, write) → record each row's outcome → complete the chunk and
 * finalize the import when it was the last. Safe to run again at any point: rows already done are skipped and a
 * retried row is re-planned from Graph's current state, so nothing is applied twice. Throttling beyond the gateway's
 * retries defers the chunk to a new, delayed message.
 */

import { type FinalizeDeps, finalizeIfDone } from './finalize';
import type {
  ChunkLeases,
  ChunkLedger,
  ChunkMessage,
  ChunkQueue,
  PhoneDirectory,
  PhoneMethodsApi,
  PrivilegedUserReader,
  StoredRow,
} from './ports';
import { type RowsRun, runRows } from './runRows';
import { emptyCounts, type RowCounts, type RowOutcome } from './types';

export interface ProcessChunkDeps extends FinalizeDeps {
  /** Besides what finalizing reads, the worker records its chunk done. */
  readonly chunks: Pick<ChunkLedger, 'anyPending' | 'listChunks' | 'completeChunk'>;
  readonly chunkLeases: ChunkLeases;
  readonly directory: PhoneDirectory;
  readonly methods: PhoneMethodsApi;
  /** Directory role holders and role-assignable group members are never changed unless allow-listed. */
  readonly privileged: PrivilegedUserReader;
  /** Identity of this delivery: a redelivered message keeps its id, so it may take over its own lease. */
  readonly owner: string;
  /**
   * The queue will not deliver this message again (its last attempt). Until then, rows that met throttling or an
   * outage beyond the gateway's retries stay pending and the chunk is retried; on the last attempt they are recorded
   * as failed with the reason, so the import always completes.
   */
  readonly finalAttempt?: boolean;
  readonly queue: ChunkQueue;
  /** Delay before a deferred retry of a throttled chunk (default 30 s x attempt, at most 10 min). */
  readonly retryDelaySeconds?: (attempt: number) => number;
  readonly leaseMs?: number;
}

export type ProcessChunkResult = 'processed' | 'deferred' | 'alreadyDone' | 'busy' | 'stale';

/** Deferred retries of a chunk that Graph kept throttling, before its rows are recorded as failed. */
export const MAX_CHUNK_ATTEMPTS = 8;
export const DEFAULT_CHUNK_LEASE_MS = 10 * 60_000;

export async function processChunk(message: ChunkMessage, deps: ProcessChunkDeps): Promise<ProcessChunkResult> {
  const record = await deps.records.get(message.importId);
  if (!record || record.status !== 'running') return 'stale';
  const claim = await deps.chunkLeases.claimChunk(
    message.importId,
    message.chunk,
    deps.owner,
    deps.leaseMs ?? DEFAULT_CHUNK_LEASE_MS,
  );
  if (claim === 'done') {
    await finalizeIfDone(message.importId, deps);
    return 'alreadyDone';
  }
  if (claim === 'busy') return 'busy';
  const stopRenewing = keepChunkLease(message, deps);
  try {
    return await workChunk(message, record.dryRun, deps);
  } finally {
    stopRenewing();
  }
}

/** Renews the chunk's lease while it works, so a long chunk (throttled, slow Graph) is never taken by a second worker. */
function keepChunkLease(message: ChunkMessage, deps: ProcessChunkDeps): () => void {
  const leaseMs = deps.leaseMs ?? DEFAULT_CHUNK_LEASE_MS;
  const timer = setInterval(
    () => {
      deps.chunkLeases.renewChunk(message.importId, message.chunk, deps.owner, leaseMs).then(
        (held) => {
          if (!held) deps.log.warn({ importId: message.importId, chunk: message.chunk }, 'phone import: chunk lease lost');
        },
        () => undefined,
      );
    },
    Math.max(250, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

const canDefer = (message: ChunkMessage, deps: ProcessChunkDeps): boolean =>
  deps.finalAttempt !== true && (message.attempt ?? 1) < MAX_CHUNK_ATTEMPTS;

/** A new, delayed message rather than a failed delivery: throttling must not use up the queue's dequeue count. */
async function defer(message: ChunkMessage, deps: ProcessChunkDeps, rows: number, why: string): Promise<'deferred'> {
  const attempt = message.attempt ?? 1;
  const delay = deps.retryDelaySeconds?.(attempt) ?? Math.min(600, 30 * attempt);
  await deps.chunkLeases.releaseChunk(message.importId, message.chunk, deps.owner);
  await deps.queue.enqueue({ importId: message.importId, chunk: message.chunk, attempt: attempt + 1 }, delay);
  deps.log.warn(
    { importId: message.importId, chunk: message.chunk, rows, attempt, delaySeconds: delay, reason: why },
    'phone import: chunk deferred',
  );
  return 'deferred';
}

async function workChunk(message: ChunkMessage, dryRun: boolean, deps: ProcessChunkDeps): Promise<ProcessChunkResult> {
  const stored = await deps.rows.chunkRows(message.importId, message.chunk);
  const todo = rowsToWork(stored);
  let outcomes = new Map<number, RowOutcome>();
  if (todo.length > 0) {
    const ran = await runRowsOrFail(message, todo, dryRun, deps);
    if (ran === 'deferred') return 'deferred';
    const retryLater = ran.transient.size > 0 && canDefer(message, deps);
    await deps.rows.patchRows(message.importId, message.chunk, settledRows(todo, ran, retryLater));
    if (retryLater) return defer(message, deps, ran.transient.size, 'Graph throttled or failed beyond retries');
    outcomes = ran.outcomes;
  }
  await recordChunkDone(message, chunkCounts(stored, outcomes), deps);
  return 'processed';
}

/** Rows still to work: not done, and with a number (rows rejected at validation were stored done). */
export const rowsToWork = (stored: readonly StoredRow[]): StoredRow[] =>
  stored.filter((r) => r.state !== 'done' && r.phoneNumber && r.phoneType);

/**
 * Failed outside Graph's per-item answers (a read that threw, a storage error): the whole chunk is retried later like
 * throttled rows; on the last attempt its rows are recorded failed with the reason.
 */
async function runRowsOrFail(
  message: ChunkMessage,
  todo: readonly StoredRow[],
  dryRun: boolean,
  deps: ProcessChunkDeps,
): Promise<RowsRun | 'deferred'> {
  try {
    return await runRows(message, todo, dryRun, deps);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (canDefer(message, deps)) return defer(message, deps, todo.length, why);
    return { outcomes: failedOutcomes(todo, why), transient: new Set<number>() };
  }
}

/**
 * The `done` patches for the worked rows; with `retryLater`, transient rows stay pending for the deferred message.
 * A transient row recorded now (last attempt) says how to retry it.
 */
export function settledRows(todo: readonly StoredRow[], ran: RowsRun, retryLater: boolean) {
  const settled = todo.filter((r) => !(retryLater && ran.transient.has(r.line)));
  return settled.map((r) => {
    const o = ran.outcomes.get(r.line) ?? { status: 'failed' as const, action: 'none', reason: 'the row was not processed' };
    const reason = ran.transient.has(r.line)
      ? `${o.reason}; Graph kept refusing after every retry: drop the file again under a new name to retry this row`
      : o.reason;
    // The full number is needed only until the row is settled; the results keep the masked one.
    return { line: r.line, state: 'done' as const, status: o.status, action: o.action, reason, phoneNumber: '' };
  });
}

/** The chunk's counts: this run's outcomes, or what earlier runs stored for rows already done. */
export function chunkCounts(stored: readonly StoredRow[], outcomes: Map<number, RowOutcome>): RowCounts {
  const counts = emptyCounts();
  for (const r of stored) counts[outcomes.get(r.line)?.status ?? r.status ?? 'failed']++;
  return counts;
}

async function recordChunkDone(message: ChunkMessage, counts: RowCounts, deps: ProcessChunkDeps): Promise<void> {
  await deps.chunks.completeChunk(message.importId, message.chunk, counts);
  const rows = Object.values(counts).reduce((sum, n) => sum + n, 0);
  deps.log.info({ importId: message.importId, chunk: message.chunk, rows, counts }, 'phone import: chunk done');
  await finalizeIfDone(message.importId, deps);
}

/** Every row of a chunk that could not be worked, failed with the reason (rows already `applying` may be applied). */
export function failedOutcomes(rows: readonly StoredRow[], why: string): Map<number, RowOutcome> {
  return new Map(
    rows.map((r) => [
      r.line,
      {
        status: 'failed' as const,
        action: 'none',
        reason:
          r.state === 'applying'
            ? `the chunk failed before its outcome was known (${why}); check the user's phone methods`
            : `the chunk failed: ${why}`,
      },
    ]),
  );
}
