/**
 * The validating read of an import: CSV events in → one stored row per record (valid rows `pending`, rejected ones
 * already `done` with their reason) → chunks of rows written to storage while the file is still read → duplicates
 * whose first row was stored before its partner appeared are rejected at the end. A file-level problem (no header,
 * too many rows, unreadable) stops the read and is returned as a value. Memory stays bounded: a chunk in the making,
 * at most four chunks being written, and the duplicate tracker's short keys.
 */

import { CsvFileError } from './csv/decode';
import { type ColumnMap, mapHeader } from './csv/header';
import { type CsvEvent, readCsv } from './csv/reader';
import { DuplicateTracker } from './duplicates';
import { maskPhone } from './mask';
import type { ChunkLedger, ImportFiles, ImportRecord, PhoneSettings, RowStore, StoredRow } from './ports';
import type { FileProblem } from './types';
import { type RowRules, validateRecord } from './validate';

export type Validation =
  | { readonly ok: true; readonly totalRows: number; readonly rejectedRows: number; readonly chunkCount: number }
  | { readonly ok: false; readonly problem: FileProblem };

export interface ValidateDeps {
  readonly files: Pick<ImportFiles, 'read'>;
  readonly rows: Pick<RowStore, 'putRows' | 'patchRows'>;
  readonly chunks: Pick<ChunkLedger, 'putChunk'>;
  readonly settings: PhoneSettings;
}

/** Chunks written between two renewals of the validation lease. */
export const RENEW_EVERY_CHUNKS = 20;
/** Chunk writes in flight while the next rows are parsed: storage round trips overlap, memory stays bounded. */
const MAX_CHUNK_WRITES = 4;

/**
 * Reads `record.source` into chunks of stored rows. `renewLease` is asked every RENEW_EVERY_CHUNKS chunks and throws
 * when another delivery took over the file.
 */
export async function validateIntoChunks(
  record: ImportRecord,
  deps: ValidateDeps,
  renewLease: () => Promise<void>,
): Promise<Validation> {
  const validator = new RowValidator(deps.settings);
  const writer = new ChunkWriter(record.importId, deps, deps.settings.chunkSize, renewLease);
  const read = await readIntoChunks(record, deps, validator, writer);
  if (read) return { ok: false, problem: read };
  const ended = validator.end();
  if (ended) return { ok: false, problem: ended };
  await writer.close();
  const late = await rejectLateDuplicates(record.importId, validator.lateRejects, writer.chunkStarts, deps);
  return { ok: true, totalRows: validator.total, rejectedRows: validator.rejected + late, chunkCount: writer.chunkCount };
}

/** Every CSV event through the validator into the writer; a file-level problem stops the read. */
async function readIntoChunks(
  record: ImportRecord,
  deps: ValidateDeps,
  validator: RowValidator,
  writer: ChunkWriter,
): Promise<FileProblem | undefined> {
  try {
    for await (const event of readCsv(deps.files.read(record.source), { maxBytes: deps.settings.maxFileBytes })) {
      const step = validator.accept(event);
      if (step.kind === 'problem') return step.problem;
      if (step.kind === 'row') await writer.push(step.row);
    }
    return undefined;
  } catch (err) {
    if (err instanceof CsvFileError) return err.problem;
    throw err;
  } finally {
    // A rejected file still lets its started writes settle before the caller moves on.
    await writer.settle();
  }
}

export type ValidationStep =
  | { readonly kind: 'header' | 'ignored' }
  | { readonly kind: 'row'; readonly row: StoredRow }
  | { readonly kind: 'problem'; readonly problem: FileProblem };

const rejectedRow = (line: number, user: string, maskedPhone: string, reason: string): StoredRow => ({
  line,
  user,
  maskedPhone,
  state: 'done',
  status: 'failed',
  action: 'none',
  reason,
});

/** Pure per-event validation: the header's columns, the row count limit, per-row checks and duplicates. */
export class RowValidator {
  private columns: ColumnMap | undefined;
  private readonly duplicates = new DuplicateTracker();
  total = 0;
  rejected = 0;

  constructor(private readonly settings: RowRules & Pick<PhoneSettings, 'maxRows'>) {}

  /** First rows of duplicate pairs, found only when their partner appeared: line → reason. */
  get lateRejects(): ReadonlyMap<number, string> {
    return this.duplicates.lateRejects;
  }

  accept(event: CsvEvent): ValidationStep {
    if (event.kind === 'header') {
      const mapped = mapHeader(event.fields, event.line);
      if (!mapped.ok) return { kind: 'problem', problem: mapped.problem };
      this.columns = mapped.columns;
      return { kind: 'header' };
    }
    if (!this.columns) return { kind: 'ignored' };
    this.total++;
    if (this.total > this.settings.maxRows) {
      const message = `The file has more than ${this.settings.maxRows} rows (PHONE_MAX_ROWS); split it`;
      return { kind: 'problem', problem: { code: 'TOO_MANY_ROWS', message, line: event.line } };
    }
    const row = event.kind === 'malformed' ? rejectedRow(event.line, '', '', event.reason) : this.checkRow(event, this.columns);
    if (row.state === 'done') this.rejected++;
    return { kind: 'row', row };
  }

  private checkRow(event: Extract<CsvEvent, { kind: 'record' }>, columns: ColumnMap): StoredRow {
    const check = validateRecord(event.fields, columns, event.line, this.settings);
    if (!check.ok) return rejectedRow(check.row.line, check.row.user, check.row.maskedPhone, check.row.reason);
    const { line, user, phoneNumber, phoneType, enableSmsSignIn } = check.row;
    const duplicate = this.duplicates.check(check.row);
    if (duplicate) return rejectedRow(line, user, maskPhone(phoneNumber), duplicate);
    return { line, user, maskedPhone: maskPhone(phoneNumber), phoneNumber, phoneType, enableSmsSignIn, state: 'pending' };
  }

  /** The file-level problem of a file that ended without a header or without rows. */
  end(): FileProblem | undefined {
    if (!this.columns) return { code: 'CSV_EMPTY', message: 'The file has no header line: expected e.g. UserName,PhoneNumber' };
    if (this.total === 0) return { code: 'CSV_NO_ROWS', message: 'The file has a header but no rows', line: 1 };
    return undefined;
  }
}

/** Groups rows into chunks of `chunkSize` and writes each (rows, then its chunk state) while reading goes on. */
export class ChunkWriter {
  private buffer: StoredRow[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** First line of every chunk, in order (to find the chunk of a late duplicate). */
  readonly chunkStarts: number[] = [];
  chunkCount = 0;

  constructor(
    private readonly importId: string,
    private readonly deps: Pick<ValidateDeps, 'rows' | 'chunks'>,
    private readonly chunkSize: number,
    private readonly renewLease: () => Promise<void>,
  ) {}

  async push(row: StoredRow): Promise<void> {
    if (this.buffer.length === 0) this.chunkStarts.push(row.line);
    this.buffer.push(row);
    if (this.buffer.length >= this.chunkSize) await this.flush();
  }

  /** Writes the last, partial chunk and waits for every write. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.inFlight);
  }

  /** Waits for started writes to end, failed or not. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    const n = this.chunkCount++;
    this.buffer = [];
    if (n > 0 && n % RENEW_EVERY_CHUNKS === 0) await this.renewLease();
    const write = this.write(n, rows);
    this.inFlight.add(write);
    void write.then(
      () => this.inFlight.delete(write),
      () => undefined,
    );
    if (this.inFlight.size >= MAX_CHUNK_WRITES) await Promise.race(this.inFlight);
  }

  private async write(chunk: number, rows: readonly StoredRow[]): Promise<void> {
    await this.deps.rows.putRows(this.importId, chunk, rows);
    const firstLine = rows[0]?.line ?? 0;
    const lastLine = rows[rows.length - 1]?.line ?? 0;
    await this.deps.chunks.putChunk(this.importId, { chunk, state: 'pending', firstLine, lastLine });
  }
}

/** First rows of duplicate pairs were stored as pending before their partner appeared: reject them now. */
async function rejectLateDuplicates(
  importId: string,
  lateRejects: ReadonlyMap<number, string>,
  chunkStarts: readonly number[],
  deps: Pick<ValidateDeps, 'rows'>,
): Promise<number> {
  const byChunk = lateRejectsByChunk(lateRejects, chunkStarts);
  for (const [chunk, list] of byChunk) {
    const patches = list.map((l) => ({
      line: l.line,
      state: 'done' as const,
      status: 'failed' as const,
      action: 'none',
      reason: l.reason,
    }));
    await deps.rows.patchRows(importId, chunk, patches);
  }
  return [...byChunk.values()].reduce((n, list) => n + list.length, 0);
}

/** Late rejects grouped by the chunk that holds their line. */
export function lateRejectsByChunk(
  lateRejects: ReadonlyMap<number, string>,
  chunkStarts: readonly number[],
): Map<number, { line: number; reason: string }[]> {
  const byChunk = new Map<number, { line: number; reason: string }[]>();
  for (const [line, reason] of lateRejects) {
    const chunk = chunkOfLine(chunkStarts, line);
    byChunk.set(chunk, [...(byChunk.get(chunk) ?? []), { line, reason }]);
  }
  return byChunk;
}

/** The chunk whose first line is the last one at or before `line` (binary search over the chunk starts). */
export function chunkOfLine(starts: readonly number[], line: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
