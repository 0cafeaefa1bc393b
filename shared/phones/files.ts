import { createHash } from 'node:crypto';

import type { ImportFiles } from './ports';

/** Blob layout of the `phone-imports` container and the import's identity. */
export const PHONE_CONTAINER = 'phone-imports';
export const INCOMING = 'incoming/';
export const UPLOADS = 'uploads/';

const base = (file: string) => file.replace(/\.csv$/i, '');
export const resultsPath = (file: string) => `results/${base(file)}.results.csv`;
export const summaryPath = (file: string) => `results/${base(file)}.summary.json`;
export const processedPath = (file: string) => `processed/${file}`;
export const failedPath = (file: string) => `failed/${file}`;

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
