import { notFound } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { SyncStore } from '../shared/storage/syncStore';
import { runIdParams } from '../shared/sync/jobModel';

export const syncRunGetHandler = httpHandler(async ({ request, services }) => {
  const { runId } = readParams(request, runIdParams);
  const run = await new SyncStore(services.storage).getRun(runId);
  if (!run) throw notFound('SYNC_RUN_NOT_FOUND', `No sync run with id ${runId}`);
  return json(200, run);
});

export const syncRunGet = httpFunction('syncRunGet', {
  route: 'sync/runs/{runId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncRunGetHandler,
});
