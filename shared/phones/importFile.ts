import { randomUUID } from 'node:crypto';

import type { AuditSink } from '../audit';
import { CsvFileError } from './csv/decode';
import { type ColumnMap, mapHeader } from './csv/header';
import { readCsv } from './csv/reader';
import { DuplicateTracker } from './duplicates';
import { failedPath, hashFile, importIdFor, isDryRunName, processedPath, resultsPath, summaryPath } from './files';
import { maskPhone } from './mask';
import type {
  ChunkQueue,
  ChunkStore,
  ImportFiles,
  ImportRecord,
  ImportRecords,
  JobLog,
  PhoneSettings,
  RowStore,
  StoredRow,
} from './ports';
import { fileProblemResults, type ImportSummary } from './results';
import { emptyCounts, type FileProblem } from './types';
import { validateRecord } from './validate';

/**
 * Use case 1 of 3: a CSV arrived (blob drop or HTTP upload). Streams the file twice with bounded memory: once for
 * the content hash (the import's identity), once to validate every row, find duplicates and store per-row state in
 * chunks. Only when the whole file is read are the chunks queued, so a bad file never gets half-applied.
 */
export interface ImportFileDeps {
  readonly files: ImportFiles;
  readonly records: ImportRecords;
  readonly rows: RowStore;
  readonly chunks: ChunkStore;
  readonly queue: ChunkQueue;
  readonly settings: PhoneSettings;
  readonly log: JobLog;
  readonly audit?: AuditSink;
  readonly actor?: string;
  readonly now?: () => Date;
  /** Identity of this delivery (the trigger's invocation); a random one when not given. */
  readonly owner?: string;
}

/** How long one delivery may validate a file before another may take over; renewed while it reads. */
export const VALIDATION_LEASE_MS = 10 * 60_000;
const RENEW_EVERY_CHUNKS = 20;

export interface ImportFileInput {
  /** Blob path of the input in the container (`incoming/x.csv`, `uploads/x.csv`). */
  readonly path: string;
  /** Name used for results and processed/ (`x.csv`, or `team/x.csv` below incoming/). */
  readonly file: string;
  readonly dryRun?: boolean;
  /** What identifies the upload (request id, or the blob's ETag and times): recorded when the import is created. */
  readonly upload?: Readonly<Record<string, string>>;
}

export type ImportFileResult =
  | { readonly outcome: 'started' | 'resumed' | 'duplicate' | 'rejected'; readonly record: ImportRecord }
  | { readonly outcome: 'missing' };

export async function importFile(input: ImportFileInput, deps: ImportFileDeps): Promise<ImportFileResult> {
  const now = deps.now ?? (() => new Date());
  const dryRun = input.dryRun === true || isDryRunName(input.file);
  const size = await deps.files.size(input.path);
  if (size === undefined) return { outcome: 'missing' };

  if (size > deps.settings.maxFileBytes) {
    // Never read: the identity comes from name and size, and the blob is moved aside server-side.
    const problem: FileProblem = {
      code: 'FILE_TOO_LARGE',
      message: `The file is ${size} bytes; the limit is ${deps.settings.maxFileBytes} bytes (PHONE_MAX_FILE_BYTES). Split it into smaller files`,
    };
    const importId = importIdFor(input.file, `size:${size}`, dryRun);
    const { created, record } = await deps.records.create(newRecord(importId, input, `size:${size}`, dryRun, now()));
    if (created) await auditReceived(record, input, deps);
    return { outcome: 'rejected', record: await rejectFile(record, problem, deps, now) };
  }

  const contentHash = await hashFile(deps.files, input.path);
  const importId = importIdFor(input.file, contentHash, dryRun);
  const { created, record } = await deps.records.create(newRecord(importId, input, contentHash, dryRun, now()));
  const log = (obj: Record<string, unknown>, msg: string) => deps.log.info({ importId, file: input.file, ...obj }, msg);
  if (created) await auditReceived(record, input, deps);

  if (!created && (record.status === 'completed' || record.status === 'failed')) {
    // The same file again: nothing to apply. Move this copy out of incoming/ so it does not trigger again.
    if (input.path !== record.source)
      await deps.files.move(
        input.path,
        record.status === 'failed' ? failedPath(importId, input.file) : processedPath(importId, input.file),
      );
    log({ status: record.status }, 'phone import: the same file was already imported; nothing applied');
    return { outcome: 'duplicate', record };
  }
  if (!created && record.status === 'running') {
    // A retried trigger after the chunks were stored: queue again whatever is not done (the worker skips the rest).
    const states = await deps.chunks.listChunks(importId);
    for (const c of states) if (c.state !== 'done') await deps.queue.enqueue({ importId, chunk: c.chunk });
    log({ chunks: states.length }, 'phone import: resumed, unfinished chunks queued again');
    return { outcome: 'resumed', record };
  }

  // Two deliveries of one file (a retried trigger, the same file posted twice): one validates, the other leaves it.
  const owner = deps.owner ?? randomUUID();
  if (!(await deps.records.claimValidation(importId, owner, VALIDATION_LEASE_MS))) {
    log({ status: record.status }, 'phone import: another delivery is validating this file; nothing to do here');
    return { outcome: 'resumed', record };
  }
  const validated = await validateIntoChunks(record, deps, owner);
  if (!validated.ok) return { outcome: 'rejected', record: await rejectFile(record, validated.problem, deps, now) };

  const started = await deps.records.update(
    importId,
    {
      status: 'running',
      totalRows: validated.totalRows,
      rejectedRows: validated.rejectedRows,
      chunkCount: validated.chunkCount,
      updatedAt: now().toISOString(),
    },
    'validating',
  );
  if (!started) {
    log({}, 'phone import: another delivery finished validating first; nothing queued twice');
    return { outcome: 'resumed', record: (await deps.records.get(importId)) ?? record };
  }
  for (let chunk = 0; chunk < validated.chunkCount; chunk++) await deps.queue.enqueue({ importId, chunk });
  log(
    { rows: validated.totalRows, rejected: validated.rejectedRows, chunks: validated.chunkCount, dryRun },
    'phone import: validated and queued',
  );
  const stored = await deps.records.get(importId);
  return { outcome: 'started', record: stored ?? record };
}

function newRecord(importId: string, input: ImportFileInput, contentHash: string, dryRun: boolean, at: Date): ImportRecord {
  return {
    importId,
    file: input.file,
    source: input.path,
    contentHash,
    dryRun,
    status: 'validating',
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    totalRows: 0,
    rejectedRows: 0,
    chunkCount: 0,
  };
}

type Validation =
  | { readonly ok: true; readonly totalRows: number; readonly rejectedRows: number; readonly chunkCount: number }
  | { readonly ok: false; readonly problem: FileProblem };

async function validateIntoChunks(record: ImportRecord, deps: ImportFileDeps, owner: string): Promise<Validation> {
  const { settings } = deps;
  const tracker = new DuplicateTracker();
  const chunkStarts: number[] = [];
  let columns: ColumnMap | undefined;
  let buffer: StoredRow[] = [];
  let total = 0;
  let rejected = 0;
  let chunk = 0;

  // Up to four chunks are written while the next ones are parsed: storage round trips overlap, memory stays bounded.
  const inFlight = new Set<Promise<void>>();
  const flush = async () => {
    if (buffer.length === 0) return;
    const rows = buffer;
    const n = chunk++;
    buffer = [];
    if (
      n > 0 &&
      n % RENEW_EVERY_CHUNKS === 0 &&
      !(await deps.records.claimValidation(record.importId, owner, VALIDATION_LEASE_MS))
    ) {
      throw new Error('Another delivery took over validating this file (this one stalled past its lease); stopping');
    }
    const write = (async () => {
      await deps.rows.putRows(record.importId, n, rows);
      await deps.chunks.putChunk(record.importId, {
        chunk: n,
        state: 'pending',
        firstLine: rows[0]?.line ?? 0,
        lastLine: rows[rows.length - 1]?.line ?? 0,
      });
    })();
    inFlight.add(write);
    void write.then(
      () => inFlight.delete(write),
      () => undefined,
    );
    if (inFlight.size >= 4) await Promise.race(inFlight);
  };
  const drain = async () => {
    await Promise.all(inFlight);
  };
  const push = async (row: StoredRow) => {
    if (buffer.length === 0) chunkStarts.push(row.line);
    buffer.push(row);
    if (buffer.length >= settings.chunkSize) await flush();
  };

  try {
    for await (const event of readCsv(deps.files.read(record.source), { maxBytes: settings.maxFileBytes })) {
      if (event.kind === 'header') {
        const mapped = mapHeader(event.fields, event.line);
        if (!mapped.ok) return { ok: false, problem: mapped.problem };
        columns = mapped.columns;
        continue;
      }
      if (!columns) continue;
      total++;
      if (total > settings.maxRows) {
        return {
          ok: false,
          problem: {
            code: 'TOO_MANY_ROWS',
            message: `The file has more than ${settings.maxRows} rows (PHONE_MAX_ROWS); split it`,
            line: event.line,
          },
        };
      }
      if (event.kind === 'malformed') {
        rejected++;
        await push({
          line: event.line,
          user: '',
          maskedPhone: '',
          state: 'done',
          status: 'failed',
          action: 'none',
          reason: event.reason,
        });
        continue;
      }
      const check = validateRecord(event.fields, columns, event.line, settings);
      const duplicate = check.ok ? tracker.check(check.row) : undefined;
      if (!check.ok || duplicate) {
        rejected++;
        const r = check.ok
          ? { line: check.row.line, user: check.row.user, maskedPhone: maskPhone(check.row.phoneNumber), reason: duplicate ?? '' }
          : check.row;
        await push({
          line: r.line,
          user: r.user,
          maskedPhone: r.maskedPhone,
          state: 'done',
          status: 'failed',
          action: 'none',
          reason: r.reason,
        });
        continue;
      }
      const row = check.row;
      await push({
        line: row.line,
        user: row.user,
        maskedPhone: maskPhone(row.phoneNumber),
        phoneNumber: row.phoneNumber,
        phoneType: row.phoneType,
        enableSmsSignIn: row.enableSmsSignIn,
        state: 'pending',
      });
    }
  } catch (err) {
    if (err instanceof CsvFileError) return { ok: false, problem: err.problem };
    throw err;
  } finally {
    // A rejected file still lets its started writes settle before the caller moves on.
    await Promise.allSettled(inFlight);
  }
  if (!columns)
    return {
      ok: false,
      problem: { code: 'CSV_EMPTY', message: 'The file has no header line: expected e.g. UserName,PhoneNumber' },
    };
  if (total === 0) return { ok: false, problem: { code: 'CSV_NO_ROWS', message: 'The file has a header but no rows', line: 1 } };
  await flush();
  await drain();

  // First rows of duplicate pairs were stored as pending before their partner appeared.
  const late = new Map<number, { line: number; reason: string }[]>();
  for (const [line, reason] of tracker.lateRejects) {
    const c = chunkOfLine(chunkStarts, line);
    const list = late.get(c) ?? [];
    list.push({ line, reason });
    late.set(c, list);
  }
  for (const [c, list] of late) {
    await deps.rows.patchRows(
      record.importId,
      c,
      list.map((l) => ({ line: l.line, state: 'done' as const, status: 'failed' as const, action: 'none', reason: l.reason })),
    );
    rejected += list.length;
  }
  return { ok: true, totalRows: total, rejectedRows: rejected, chunkCount: chunk };
}

function chunkOfLine(starts: readonly number[], line: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A file-level failure: a results file that says what and where, a summary, and the input moved to failed/. */
async function rejectFile(
  record: ImportRecord,
  problem: FileProblem,
  deps: ImportFileDeps,
  now: () => Date,
): Promise<ImportRecord> {
  const finishedAt = now().toISOString();
  const results = resultsPath(record.importId, record.file);
  const summary: ImportSummary = {
    importId: record.importId,
    file: record.file,
    dryRun: record.dryRun,
    status: 'failed',
    startedAt: record.createdAt,
    finishedAt,
    rows: { total: 0, ...emptyCounts() },
    problem,
    settings: {},
    resultsBlob: results,
  };
  await deps.files.write(results, fileProblemResults(problem), 'text/csv; charset=utf-8');
  await deps.files.write(summaryPath(record.importId, record.file), JSON.stringify(summary, null, 2), 'application/json');
  const target = failedPath(record.importId, record.file);
  await deps.files.move(record.source, target);
  const patch = {
    status: 'failed' as const,
    problem,
    resultsBlob: results,
    summaryBlob: summaryPath(record.importId, record.file),
    source: target,
    finishedAt,
    updatedAt: finishedAt,
  };
  if (!(await deps.records.update(record.importId, patch, 'validating')))
    return (await deps.records.get(record.importId)) ?? record;
  deps.log.warn(
    { importId: record.importId, file: record.file, code: problem.code, line: problem.line },
    'phone import: file rejected',
  );
  await deps.audit?.write([
    {
      action: 'phones.import',
      outcome: 'blocked',
      actor: deps.actor ?? 'system',
      target: record.file,
      job: 'phones',
      runId: record.importId,
      reason: `${problem.code}: ${problem.message}`,
    },
  ]);
  return { ...record, ...patch };
}

/**
 * Once per import (the record's first creation, not on re-deliveries): who dropped the file is not known to the app,
 * so the entry carries what finds the upload in the storage logs. The import's later entries share its `runId`.
 */
async function auditReceived(record: ImportRecord, input: ImportFileInput, deps: ImportFileDeps): Promise<void> {
  await deps.audit?.write([
    {
      action: 'phones.import.received',
      outcome: 'succeeded',
      actor: deps.actor ?? 'system',
      target: record.file,
      job: 'phones',
      runId: record.importId,
      details: { source: input.path, ...(input.upload && { upload: input.upload }) },
    },
  ]);
}
