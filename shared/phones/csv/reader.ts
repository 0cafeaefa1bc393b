/**
 * Streaming CSV reader for phone imports: bytes in, one event per record out, with the input line number of each.
 * csv-parse does the CSV grammar (quotes, escaped quotes, CRLF, embedded newlines); this file adds encoding and
 * delimiter detection, line numbers that point at where a record starts, and a split between record-level problems
 * (a stray quote: that row fails, the rest goes on) and file-level ones (binary, too large, runaway quote).
 */

import { Readable } from 'node:stream';

import { CsvError, parse } from 'csv-parse';

import { toError } from '../../errors';
import { CsvFileError, decodeText } from './decode';
import { type Delimiter, detectDelimiter } from './header';

export type CsvEvent =
  | { readonly kind: 'header'; readonly line: number; readonly fields: readonly string[]; readonly delimiter: Delimiter }
  | { readonly kind: 'record'; readonly line: number; readonly fields: readonly string[] }
  | { readonly kind: 'malformed'; readonly line: number; readonly reason: string };

export interface CsvReadOptions {
  readonly maxBytes: number;
  /** Longest record accepted; a longer one means a missing closing quote or a binary file. */
  readonly maxRecordChars?: number;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

const newlinesIn = (fields: readonly string[]) => fields.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);

/** Reads text until the first line break to pick the delimiter, then hands everything read to the parser. */
async function sniff(text: AsyncIterator<string>): Promise<{ head: string; delimiter: Delimiter; done: boolean }> {
  let head = '';
  for (;;) {
    const next = await text.next();
    if (next.done) return { head, delimiter: detectDelimiter(firstLine(head)), done: true };
    head += next.value;
    const nonEmpty = head.replace(/^[\r\n]+/, '');
    if (/[\r\n]/.test(nonEmpty) || head.length > 65_536)
      return { head, delimiter: detectDelimiter(firstLine(head)), done: false };
  }
}

const firstLine = (text: string) => text.replace(/^[\r\n]+/, '').split(/\r?\n|\r/, 1)[0] ?? '';

/**
 * The file's events with strictly increasing line numbers. A line is counted from the parser's line count less the
 * line breaks inside the record's fields; in a file mixing lone CR with LF inside quoted fields the two counts disagree
 * and two records could get one number (found by the CSV fuzzer: rows are stored keyed by line, and a transaction
 * holding one key twice fails). Such a record is numbered one past the previous one instead.
 */
export async function* readCsv(source: AsyncIterable<Uint8Array>, options: CsvReadOptions): AsyncGenerator<CsvEvent> {
  let last = 0;
  for await (const event of readEvents(source, options)) {
    const line = Math.max(event.line, last + 1);
    last = line;
    yield line === event.line ? event : { ...event, line };
  }
}

async function* readEvents(source: AsyncIterable<Uint8Array>, options: CsvReadOptions): AsyncGenerator<CsvEvent> {
  const text = decodeText(source, { maxBytes: options.maxBytes })[Symbol.asyncIterator]();
  const { head, delimiter, done } = await sniff(text);
  if (head.trim() === '') {
    throw new CsvFileError({
      code: 'CSV_EMPTY',
      message: 'The file is empty: expected a header line such as UserName,PhoneNumber and one row per user',
    });
  }
  const run = startParser(replay(head, done, text), delimiter, options);
  let headerSeen = false;
  try {
    for await (const value of run.parser as AsyncIterable<ParsedRecord>) {
      const line = value.info.lines - newlinesIn(value.record);
      run.lastEnd = value.info.lines;
      yield* skippedBefore(run.skipped, line);
      yield headerSeen
        ? { kind: 'record', line, fields: value.record }
        : { kind: 'header', line, fields: value.record, delimiter };
      headerSeen = true;
    }
  } catch (err) {
    throw asFileError(err, run.inputError);
  } finally {
    run.input.destroy();
  }
  throwEndProblem(run);
  yield* skippedBefore(run.skipped, Infinity);
  if (!headerSeen) {
    throw new CsvFileError({ code: 'CSV_EMPTY', message: 'The file has no header line: expected e.g. UserName,PhoneNumber' });
  }
}

/** Everything `sniff` read, then the rest of the text. */
async function* replay(head: string, done: boolean, text: AsyncIterator<string>): AsyncGenerator<string> {
  yield head;
  if (done) return;
  for (;;) {
    const next = await text.next();
    if (next.done) return;
    yield next.value;
  }
}

/** A parse in progress: what the parser skipped or could not get past, and how far it read. */
interface ParserRun {
  readonly parser: ReturnType<typeof parse>;
  readonly input: Readable;
  /** Records skipped for a record-level problem, in line order, reported before the next good record. */
  readonly skipped: { line: number; reason: string }[];
  fatal?: CsvError;
  inputError?: unknown;
  lastEnd: number;
}

function startParser(text: AsyncIterable<string>, delimiter: Delimiter, options: CsvReadOptions): ParserRun {
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    skip_records_with_error: true,
    // A stray quote inside a field stays part of the value; validation then rejects that one row.
    relax_quotes: true,
    info: true,
    trim: false,
    max_record_size: options.maxRecordChars ?? 16_384,
  });
  const input = Readable.from(text, { objectMode: false });
  const run: ParserRun = { parser, input, skipped: [], lastEnd: 0 };
  parser.on('skip', (err: CsvError) => {
    // These swallow every following row: the file cannot be read reliably past this point.
    if (err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE') {
      run.fatal ??= err;
      return;
    }
    run.skipped.push({ line: typeof err.lines === 'number' ? err.lines : 0, reason: describe(err) });
  });
  input.on('error', (err) => {
    run.inputError = err;
    parser.destroy(err);
  });
  input.pipe(parser);
  return run;
}

/** Takes from `skipped` the records that started before `line`, as malformed-row events. */
function* skippedBefore(skipped: { line: number; reason: string }[], line: number): Generator<CsvEvent> {
  while (skipped.length > 0 && (skipped[0]?.line ?? 0) < line) {
    const s = skipped.shift();
    if (s) yield { kind: 'malformed', line: s.line, reason: s.reason };
  }
}

/** What a failed parse means for the file: a decoding problem as found, a CSV error with its line, else the error. */
function asFileError(err: unknown, inputError: unknown): unknown {
  if (inputError instanceof CsvFileError) return inputError;
  if (err instanceof CsvFileError) return err;
  if (!(err instanceof CsvError)) return err;
  const line = typeof err.lines === 'number' ? err.lines : undefined;
  return new CsvFileError({
    code: 'CSV_MALFORMED',
    message: `${line !== undefined ? `Line ${line}: ` : ''}${describe(err)}; the rest of the file cannot be read`,
    ...(line !== undefined && { line }),
  });
}

/** After the last record: a decoding problem, a record the parser could not get past, or a failed read. */
function throwEndProblem(run: ParserRun): void {
  if (run.inputError instanceof CsvFileError) throw run.inputError;
  if (run.fatal) {
    // Reported once every good record is consumed, so `lastEnd` is the last line that could be read.
    throw new CsvFileError({
      code: 'CSV_MALFORMED',
      message: `After line ${run.lastEnd}: ${describe(run.fatal)}; no row after it can be read, so nothing was imported`,
      line: run.lastEnd + 1,
    });
  }
  if (run.inputError !== undefined) throw toError(run.inputError);
}

function describe(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (missing ")';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote (") in the middle of a field; quote the whole field and double inner quotes ("")';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a record is too long (a missing closing quote, or not a CSV file)';
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'characters after a closing quote';
    default:
      return `malformed CSV (${err.code})`;
  }
}
