import { createHash, randomUUID } from 'node:crypto';

import { AppError } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { uploadQuery } from '../shared/phones/api';
import { UPLOADS } from '../shared/phones/files';
import { importFile } from '../shared/phones/importFile';
import { importProgress } from '../shared/phones/status';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneImportDeps } from '../shared/runtime/phoneImport';

/**
 * `POST /api/phone-imports[?dryRun=true][&name=x.csv]` with a text/csv body: the same pipeline as a blob drop. The
 * body is streamed into uploads/ (stopped at PHONE_MAX_FILE_BYTES), then validated; rows are applied by the worker.
 * Without `name`, the name comes from the content hash, so posting the same body twice is one import.
 */
export const phoneImportPostHandler = httpHandler(async ({ request, services, caller, log }) => {
  const { dryRun, name } = readQuery(request, uploadQuery);
  const type = request.headers.get('content-type') ?? '';
  if (!/^(text\/csv|text\/plain|application\/csv|text\/tab-separated-values)\b/i.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv', 415, { contentType: type || null });
  }
  const limit = services.config.phones.maxFileBytes;
  const declared = Number(request.headers.get('content-length') ?? '0');
  const tooLarge = () => new AppError('FILE_TOO_LARGE', `The file is larger than ${limit} bytes (PHONE_MAX_FILE_BYTES); split it`, 413, { limit });
  if (declared > limit) throw tooLarge();

  const deps = { ...phoneImportDeps(services, log), actor: caller.name };
  const hash = createHash('sha256');
  let bytes = 0;
  const body = request.body;
  async function* stream(): AsyncGenerator<Uint8Array> {
    if (!body) return;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > limit) throw tooLarge();
      hash.update(chunk);
      yield chunk;
    }
  }
  const temp = `${UPLOADS}.partial-${randomUUID()}.csv`;
  await deps.files.write(temp, stream(), 'text/csv');
  const file = name ?? `upload-${hash.digest('hex').slice(0, 12)}${dryRun ? '.dryrun' : ''}.csv`;
  const path = `${UPLOADS}${file}`;
  await deps.files.move(temp, path);

  const result = await importFile({ path, file, dryRun }, deps);
  if (result.outcome === 'missing') throw new AppError('UPLOAD_LOST', 'The uploaded file could not be read back; try again', 503);
  const progress = await importProgress(result.record.importId, deps);
  const headers = { location: `/api/phone-imports/${result.record.importId}` };
  if (result.outcome === 'rejected') {
    const problem = result.record.problem;
    throw new AppError(problem?.code ?? 'CSV_INVALID', problem?.message ?? 'The file was rejected', problem?.code === 'FILE_TOO_LARGE' ? 413 : 422, {
      importId: result.record.importId,
      line: problem?.line ?? null,
      resultsBlob: result.record.resultsBlob ?? null,
    });
  }
  return json(result.outcome === 'duplicate' ? 200 : 202, progress, headers);
});

export const phoneImportPost = httpFunction('phoneImportPost', {
  route: 'phone-imports',
  methods: ['POST'],
  authLevel: 'function',
  handler: phoneImportPostHandler,
});
