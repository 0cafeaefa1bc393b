import { httpHandler } from '../shared/http/handler';
import { dryRunQuery, readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { importMemberOf } from '../shared/sync/importMemberOf';

export const syncImportMemberOfHandler = httpHandler(async ({ request, services, caller, log }) => {
  const { dryRun } = readQuery(request, dryRunQuery);
  const result = await importMemberOf(syncJobDeps(services), { dryRun, actor: caller.name });
  log.info({ dryRun, proposals: result.proposals.length }, 'memberOf import');
  return json(dryRun ? 200 : 201, result);
});

export const syncImportMemberOf = httpFunction('syncImportMemberOf', {
  route: 'sync/import-memberof',
  methods: ['POST'],
  authLevel: 'function',
  handler: syncImportMemberOfHandler,
});
