import { notFound } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { importIdParams } from '../shared/phones/api';
import { importProgress } from '../shared/phones/status';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneImportStores } from '../shared/storage/phoneImportStore';

/** `GET /api/phone-imports/{importId}`: status and progress of one import. */
export const phoneImportGetHandler = httpHandler(async ({ request, services }) => {
  const { importId } = readParams(request, importIdParams);
  const progress = await importProgress(importId, phoneImportStores(services.storage));
  if (!progress) throw notFound('IMPORT_NOT_FOUND', `No phone import with id ${importId}`);
  return json(200, progress, { 'cache-control': 'no-store' });
});

export const phoneImportGet = httpFunction('phoneImportGet', {
  route: 'phone-imports/{importId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: phoneImportGetHandler,
});
