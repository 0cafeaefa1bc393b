/**
 * Use case 1 of 3: a CSV arrived (blob drop or HTTP upload). Streams the file twice with bounded memory: once for
 * the content hash (the import's identity), once to validate every row, find duplicates and store per-row state in
 * chunks (validateFile.ts). Only when the whole file is read are the chunks queued, so a bad file never gets half-applied.
 */

import { randomUUID } from 'node:crypto';

import type { AuditSink } from '../audit';
import { failedPath, hashFile, importIdFor, isDryRunName, processedPath, resultsPath, summaryPath } from './files';
import type {
  ChunkLedger,
  ChunkQueue,
  ImportFiles,
  ImportRecord,
  ImportRecords,
  JobLog,
  PhoneSettings,
  RowStore,
  ValidationLease,
} from './ports';
import { fileProblemResults, type ImportSummary } from './results';
import { emptyCounts, type FileProblem } from './types';
import { validateIntoChunks, type Validation } from './validateFile';

export interface ImportFileDeps {
  readonly files: ImportFiles;
  readonly records: ImportRecords;
  readonly validationLease: ValidationLease;
  readonly rows: RowStore;
  /** Validation writes the chunks; a redelivery of a running import queues the unfinished ones again. */
  readonly chunks: Pick<ChunkLedger, 'putChunk' | 'listChunks'>;
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
  if (size > deps.settings.maxFileBytes) return rejectOversized(input, size, dryRun, deps, now);

  const { created, record } = await createRecord(input, await hashFile(deps.files, input.path), dryRun, deps, now);
  const log = (obj: Record<string, unknown>, msg: string) =>
    deps.log.info({ importId: record.importId, file: input.file, ...obj }, msg);
  const earlier = created ? undefined : await continueEarlier(input, record, deps, log);
  if (earlier) return earlier;

  // Two deliveries of one file (a retried trigger, the same file posted twice): one validates, the other leaves it.
  const owner = deps.owner ?? randomUUID();
  if (!(await deps.validationLease.claimValidation(record.importId, owner, VALIDATION_LEASE_MS))) {
    log({ status: record.status }, 'phone import: another delivery is validating this file; nothing to do here');
    return { outcome: 'resumed', record };
  }
  const validated = await validateIntoChunks(record, deps, () => renewValidation(record.importId, owner, deps));
  if (!validated.ok) return { outcome: 'rejected', record: await rejectFile(record, validated.problem, deps, now) };
  return startImport(record, validated, deps, now, log);
}

type ImportLog = (obj: Record<string, unknown>, msg: string) => void;

/** Never read: the identity comes from name and size, and the blob is moved aside server-side. */
async function rejectOversized(
  input: ImportFileInput,
  size: number,
  dryRun: boolean,
  deps: ImportFileDeps,
  now: () => Date,
): Promise<ImportFileResult> {
  const problem: FileProblem = {
    code: 'FILE_TOO_LARGE',
    message: `The file is ${size} bytes; the limit is ${deps.settings.maxFileBytes} bytes (PHONE_MAX_FILE_BYTES). Split it into smaller files`,
  };
  const { record } = await createRecord(input, `size:${size}`, dryRun, deps, now);
  return { outcome: 'rejected', record: await rejectFile(record, problem, deps, now) };
}

/** The import's record, keyed by name, content and dry run; audited once, when it is first created. */
async function createRecord(
  input: ImportFileInput,
  contentHash: string,
  dryRun: boolean,
  deps: ImportFileDeps,
  now: () => Date,
): Promise<{ created: boolean; record: ImportRecord }> {
  const importId = importIdFor(input.file, contentHash, dryRun);
  const created = await deps.records.create(newRecord(importId, input, contentHash, dryRun, now()));
  if (created.created) await auditReceived(created.record, input, deps);
  return created;
}

/**
 * The same file again. Finished: nothing to apply, and this copy leaves incoming/ so it does not trigger again.
 * Running: a retried trigger after the chunks were stored, so whatever is not done is queued again (the worker skips
 * the rest). Still validating: undefined, the caller competes for the validation lease.
 */
export async function continueEarlier(
  input: ImportFileInput,
  record: ImportRecord,
  deps: Pick<ImportFileDeps, 'files' | 'chunks' | 'queue'>,
  log: ImportLog,
): Promise<ImportFileResult | undefined> {
  const { importId } = record;
  if (record.status === 'completed' || record.status === 'failed') {
    const aside = record.status === 'failed' ? failedPath(importId, input.file) : processedPath(importId, input.file);
    if (input.path !== record.source) await deps.files.move(input.path, aside);
    log({ status: record.status }, 'phone import: the same file was already imported; nothing applied');
    return { outcome: 'duplicate', record };
  }
  if (record.status === 'running') {
    const states = await deps.chunks.listChunks(importId);
    for (const c of states) if (c.state !== 'done') await deps.queue.enqueue({ importId, chunk: c.chunk });
    log({ chunks: states.length }, 'phone import: resumed, unfinished chunks queued again');
    return { outcome: 'resumed', record };
  }
  return undefined;
}

async function renewValidation(importId: string, owner: string, deps: Pick<ImportFileDeps, 'validationLease'>): Promise<void> {
  if (!(await deps.validationLease.claimValidation(importId, owner, VALIDATION_LEASE_MS)))
    throw new Error('Another delivery took over validating this file (this one stalled past its lease); stopping');
}

/** Marks the import running (only from `validating`, so a second delivery never queues twice) and queues its chunks. */
async function startImport(
  record: ImportRecord,
  validated: Extract<Validation, { ok: true }>,
  deps: ImportFileDeps,
  now: () => Date,
  log: ImportLog,
): Promise<ImportFileResult> {
  const { importId } = record;
  const { totalRows, rejectedRows, chunkCount } = validated;
  const patch = { status: 'running' as const, totalRows, rejectedRows, chunkCount, updatedAt: now().toISOString() };
  if (!(await deps.records.update(importId, patch, 'validating'))) {
    log({}, 'phone import: another delivery finished validating first; nothing queued twice');
    return { outcome: 'resumed', record: (await deps.records.get(importId)) ?? record };
  }
  for (let chunk = 0; chunk < chunkCount; chunk++) await deps.queue.enqueue({ importId, chunk });
  log(
    { rows: totalRows, rejected: rejectedRows, chunks: chunkCount, dryRun: record.dryRun },
    'phone import: validated and queued',
  );
  return { outcome: 'started', record: (await deps.records.get(importId)) ?? record };
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
    { importId: record.importId, file: record.file, errorCode: problem.code, line: problem.line },
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
