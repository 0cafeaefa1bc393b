import { notFound } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { importIdParams } from '../shared/phones/api';
import { resultsFile } from '../shared/phones/history';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneReadDeps } from '../shared/runtime/readModels';

/** `GET /api/phone-imports/{importId}/results`: the results file (CSV, numbers masked) as an attachment. */
export const phoneImportResultsHandler = httpHandler(async ({ request, services }) => {
  const { importId } = readParams(request, importIdParams);
  const file = await resultsFile(importId, phoneReadDeps(services));
  if (!file) throw notFound('RESULTS_NOT_READY', `Phone import ${importId} has no results file (yet)`);
  const chunks: Buffer[] = [];
  // Sent whole: results files are ~80 bytes a row (about 40 MB at the 500,000-row limit).
  for await (const c of file.body) chunks.push(Buffer.from(c));
  return {
    status: 200,
    body: Buffer.concat(chunks),
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  };
});

export const phoneImportResults = httpFunction('phoneImportResults', {
  route: 'phone-imports/{importId}/results',
  methods: ['GET'],
  authLevel: 'function',
  handler: phoneImportResultsHandler,
});
