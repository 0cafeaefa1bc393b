/**
 * Turns the raw bytes of an uploaded file into text, streaming: UTF-8 with or without BOM and UTF-16 LE/BE with BOM
 * (what Excel's "Unicode text" and PowerShell's Export-Csv write). Anything that is not text (NUL bytes, invalid
 * UTF-8) or larger than the configured limit stops the read with a file-level problem, so a binary or oversized
 * upload is never held in memory.
 */

import { TextDecoder } from 'node:util';

import type { FileProblem } from '../types';

export class CsvFileError extends Error {
  override readonly name = 'CsvFileError';
  constructor(readonly problem: FileProblem) {
    super(problem.message);
  }
}

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export function detectEncoding(head: Uint8Array): TextEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

export interface DecodeOptions {
  readonly maxBytes: number;
}

export async function* decodeText(source: AsyncIterable<Uint8Array>, options: DecodeOptions): AsyncGenerator<string> {
  const text = new CsvTextDecoder(options.maxBytes);
  for await (const chunk of source) {
    const decoded = text.push(chunk);
    if (decoded) yield decoded;
  }
  const tail = text.end();
  if (tail) yield tail;
}

/**
 * Decodes one file chunk by chunk: holds the first bytes until a BOM can be seen, then decodes strictly, counting
 * bytes (for the size limit and NUL positions) and lines (for where a problem is).
 */
export class CsvTextDecoder {
  private decoder: TextDecoder | undefined;
  private encoding: TextEncoding = 'utf-8';
  private pending: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private lineSoFar = 1;

  constructor(private readonly maxBytes: number) {}

  /** The text of this chunk (empty while waiting for enough bytes to see a BOM). */
  push(chunk: Uint8Array): string {
    this.offset += chunk.byteLength;
    if (this.offset > this.maxBytes) {
      throw new CsvFileError({
        code: 'FILE_TOO_LARGE',
        message: `The file is larger than the ${this.maxBytes}-byte limit (PHONE_MAX_FILE_BYTES); split it into smaller files`,
      });
    }
    if (this.decoder) return this.decode(chunk, false);
    const merged = new Uint8Array(this.pending.byteLength + chunk.byteLength);
    merged.set(this.pending, 0);
    merged.set(chunk, this.pending.byteLength);
    if (merged.byteLength < 3) {
      this.pending = merged;
      return '';
    }
    this.start(merged);
    return this.decode(merged, false);
  }

  /** The rest of the text once the source ends (a file shorter than a BOM is decoded here). */
  end(): string {
    if (this.decoder) return this.decode(new Uint8Array(0), true);
    this.start(this.pending);
    return this.decode(this.pending, true);
  }

  private start(head: Uint8Array): void {
    this.encoding = detectEncoding(head);
    this.decoder = new TextDecoder(this.encoding, { fatal: true });
  }

  private decode(bytes: Uint8Array, final: boolean): string {
    if (this.encoding === 'utf-8') {
      const nul = bytes.indexOf(0);
      if (nul >= 0) this.notText(`a NUL byte at byte ${this.offset - bytes.byteLength + nul + 1}, line ${this.lineSoFar}`);
    }
    let text: string;
    try {
      text = this.decoder?.decode(bytes, { stream: !final }) ?? '';
    } catch {
      throw new CsvFileError({
        code: 'FILE_NOT_TEXT',
        message: `The file is not UTF-8 or UTF-16 text (invalid bytes near line ${this.lineSoFar}); save it as "CSV UTF-8"`,
        line: this.lineSoFar,
      });
    }
    if (text.includes('\0')) this.notText(`a NUL character near line ${this.lineSoFar}`);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineSoFar++;
    return text;
  }

  private notText(where: string): never {
    throw new CsvFileError({
      code: 'FILE_NOT_TEXT',
      message: `The file is binary, not CSV text (${where})`,
      line: this.lineSoFar,
    });
  }
}
