import { notFound } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readParams, readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { importIdParams } from '../shared/phones/api';
import { importRows, rowsQuery } from '../shared/phones/history';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneReadDeps } from '../shared/runtime/readModels';

/** `GET /api/phone-imports/{importId}/rows?status=&q=&skip=&top=`: result rows (numbers masked), filtered. */
export const phoneImportRowsHandler = httpHandler(async ({ request, services }) => {
  const { importId } = readParams(request, importIdParams);
  const { status, q, skip, top } = readQuery(request, rowsQuery);
  const deps = phoneReadDeps(services);
  if (!(await deps.records.get(importId))) throw notFound('IMPORT_NOT_FOUND', `No phone import with id ${importId}`);
  const page = await importRows(importId, { ...(status && { status }), ...(q && { text: q }), skip, top }, deps);
  return json(200, page, { 'cache-control': 'no-store' });
});

export const phoneImportRows = httpFunction('phoneImportRows', {
  route: 'phone-imports/{importId}/rows',
  methods: ['GET'],
  authLevel: 'function',
  handler: phoneImportRowsHandler,
});
