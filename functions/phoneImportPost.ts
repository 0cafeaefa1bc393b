import { AppError } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { uploadQuery } from '../shared/phones/api';
import { importUpload } from '../shared/phones/upload';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneImportDeps } from '../shared/runtime/phoneImport';

/** `POST /api/phone-imports[?dryRun=true][&name=x.csv]` with a text/csv body: the same pipeline as a blob drop. */
export const phoneImportPostHandler = httpHandler(async ({ request, services, caller, log }) => {
  const { dryRun, name } = readQuery(request, uploadQuery);
  const type = request.headers.get('content-type') ?? '';
  // text/csv only: text/plain is a type a web page may POST cross-site without a CORS preflight.
  if (!/^text\/csv\s*(;|$)/i.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv', 415, { contentType: type || null });
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  const result = await importUpload(
    {
      body: request.body as AsyncIterable<Uint8Array> | null,
      declaredBytes: declared,
      dryRun,
      ...(name !== undefined && { name }),
    },
    { ...phoneImportDeps(services, log), actor: caller.name },
  );
  return json(result.outcome === 'duplicate' ? 200 : 202, result.progress, { location: `/api/phone-imports/${result.importId}` });
});

export const phoneImportPost = httpFunction('phoneImportPost', {
  route: 'phone-imports',
  methods: ['POST'],
  authLevel: 'function',
  handler: phoneImportPostHandler,
});
