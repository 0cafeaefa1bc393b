/**
 * Use case for `POST /api/phone-imports`: the same pipeline as a blob drop. The body is streamed into uploads/
 * (stopped at PHONE_MAX_FILE_BYTES, never held whole in memory), then imported. Without a `name`, the name comes
 * from the content hash, so posting the same body twice is one import.
 */

import { createHash, randomUUID } from 'node:crypto';

import { AppError } from '../errors';
import { UPLOADS } from './files';
import { importFile, type ImportFileDeps } from './importFile';
import { type ImportProgress, importProgress } from './status';

export interface UploadInput {
  readonly body: AsyncIterable<Uint8Array> | null;
  /** The declared Content-Length, when the client sent one: refused before reading when over the limit. */
  readonly declaredBytes?: number;
  readonly dryRun: boolean;
  readonly name?: string;
}

export interface UploadResult {
  /** `duplicate`: this exact file was imported before; nothing new happens. */
  readonly outcome: 'accepted' | 'duplicate';
  readonly progress: ImportProgress | undefined;
  readonly importId: string;
}

export async function importUpload(input: UploadInput, deps: ImportFileDeps): Promise<UploadResult> {
  const limit = deps.settings.maxFileBytes;
  const tooLarge = () =>
    new AppError('FILE_TOO_LARGE', `The file is larger than ${limit} bytes (PHONE_MAX_FILE_BYTES); split it`, 413, { limit });
  if ((input.declaredBytes ?? 0) > limit) throw tooLarge();

  const hash = createHash('sha256');
  let bytes = 0;
  async function* limited(body: AsyncIterable<Uint8Array> | null): AsyncGenerator<Uint8Array> {
    if (!body) return;
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      if (bytes > limit) throw tooLarge();
      hash.update(chunk);
      yield chunk;
    }
  }
  const temp = `${UPLOADS}.partial-${randomUUID()}.csv`;
  await deps.files.write(temp, limited(input.body), 'text/csv');
  const file = input.name ?? `upload-${hash.digest('hex').slice(0, 12)}${input.dryRun ? '.dryrun' : ''}.csv`;
  const path = `${UPLOADS}${file}`;
  await deps.files.move(temp, path);

  const result = await importFile({ path, file, dryRun: input.dryRun }, deps);
  if (result.outcome === 'missing') throw new AppError('UPLOAD_LOST', 'The uploaded file could not be read back; try again', 503);
  const { record } = result;
  if (result.outcome === 'rejected') {
    const problem = record.problem;
    throw new AppError(
      problem?.code ?? 'CSV_INVALID',
      problem?.message ?? 'The file was rejected',
      problem?.code === 'FILE_TOO_LARGE' ? 413 : 422,
      { importId: record.importId, line: problem?.line ?? null, resultsBlob: record.resultsBlob ?? null },
    );
  }
  return {
    outcome: result.outcome === 'duplicate' ? 'duplicate' : 'accepted',
    progress: await importProgress(record.importId, deps),
    importId: record.importId,
  };
}
