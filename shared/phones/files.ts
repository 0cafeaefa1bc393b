/** Blob layout of the `phone-imports` container and the import's identity. */

import { createHash } from 'node:crypto';

import type { ImportFiles } from './ports';

export const PHONE_CONTAINER = 'phone-imports';
export const INCOMING = 'incoming/';
export const UPLOADS = 'uploads/';

const base = (file: string) => file.replace(/\.csv$/i, '');
/**
 * Every output of an import sits under its import id: a second import of the same file name (new content, or the
 * same content as a dry run) can never overwrite another import's results, summary or processed input.
 */
export const resultsPath = (importId: string, file: string) => `results/${importId}/${base(file)}.results.csv`;
export const summaryPath = (importId: string, file: string) => `results/${importId}/${base(file)}.summary.json`;
export const processedPath = (importId: string, file: string) => `processed/${importId}/${file}`;
export const failedPath = (importId: string, file: string) => `failed/${importId}/${file}`;

/** `x.dryrun.csv` is validated and planned only. */
export const isDryRunName = (file: string) => /\.dryrun\.csv$/i.test(file);

/**
 * Same file name + same content (+ same dry-run flag) = same import: a re-dropped file or a retried trigger finds
 * the import it already started instead of applying anything twice.
 */
export function importIdFor(file: string, contentHash: string, dryRun: boolean): string {
  return `imp${createHash('sha256')
    .update(`${file}\n${contentHash}\n${dryRun ? 'dry' : 'apply'}`)
    .digest('hex')
    .slice(0, 29)}`;
}

export async function hashFile(files: ImportFiles, path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of files.read(path)) hash.update(chunk);
  return hash.digest('hex');
}
