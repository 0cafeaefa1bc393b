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
  let decoder: TextDecoder | undefined;
  let encoding: TextEncoding = 'utf-8';
  let pending: Uint8Array = new Uint8Array(0);
  let offset = 0;
  let lineSoFar = 1;

  const decode = (bytes: Uint8Array, final: boolean): string => {
    if (!decoder) throw new Error('decoder not initialised');
    if (encoding === 'utf-8') {
      const nul = bytes.indexOf(0);
      if (nul >= 0) {
        throw new CsvFileError({
          code: 'FILE_NOT_TEXT',
          message: `The file is binary, not CSV text (a NUL byte at byte ${offset - bytes.byteLength + nul + 1}, line ${lineSoFar})`,
          line: lineSoFar,
        });
      }
    }
    try {
      const text = decoder.decode(bytes, { stream: !final });
      if (text.includes('\0')) {
        throw new CsvFileError({
          code: 'FILE_NOT_TEXT',
          message: `The file is binary, not CSV text (a NUL character near line ${lineSoFar})`,
          line: lineSoFar,
        });
      }
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineSoFar++;
      return text;
    } catch (err) {
      if (err instanceof CsvFileError) throw err;
      throw new CsvFileError({
        code: 'FILE_NOT_TEXT',
        message: `The file is not UTF-8 or UTF-16 text (invalid bytes near line ${lineSoFar}); save it as "CSV UTF-8"`,
        line: lineSoFar,
      });
    }
  };

  for await (const chunk of source) {
    offset += chunk.byteLength;
    if (offset > options.maxBytes) {
      throw new CsvFileError({
        code: 'FILE_TOO_LARGE',
        message: `The file is larger than the ${options.maxBytes}-byte limit (PHONE_MAX_FILE_BYTES); split it into smaller files`,
      });
    }
    if (!decoder) {
      // Wait for enough bytes to see a BOM.
      const merged = new Uint8Array(pending.byteLength + chunk.byteLength);
      merged.set(pending, 0);
      merged.set(chunk, pending.byteLength);
      if (merged.byteLength < 3) {
        pending = merged;
        continue;
      }
      encoding = detectEncoding(merged);
      decoder = new TextDecoder(encoding, { fatal: true });
      const text = decode(merged, false);
      if (text) yield text;
      continue;
    }
    const text = decode(chunk, false);
    if (text) yield text;
  }
  if (!decoder) {
    encoding = detectEncoding(pending);
    decoder = new TextDecoder(encoding, { fatal: true });
    const text = decode(pending, true);
    if (text) yield text;
    return;
  }
  const tail = decode(new Uint8Array(0), true);
  if (tail) yield tail;
}
