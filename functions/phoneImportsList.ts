import { httpHandler } from '../shared/http/handler';
import { readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { listQuery, recentImports } from '../shared/phones/history';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneReadDeps } from '../shared/runtime/readModels';

/** `GET /api/phone-imports?top=`: recent imports, newest first, each with its progress. */
export const phoneImportsListHandler = httpHandler(async ({ request, services }) => {
  const { top } = readQuery(request, listQuery);
  return json(200, { value: await recentImports(top, phoneReadDeps(services)) }, { 'cache-control': 'no-store' });
});

export const phoneImportsList = httpFunction('phoneImportsList', {
  route: 'phone-imports',
  methods: ['GET'],
  authLevel: 'function',
  handler: phoneImportsListHandler,
});
