import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { runIdParams } from '../shared/sync/jobModel';
import { getRun } from '../shared/sync/jobs';

export const syncRunGetHandler = httpHandler(async ({ request, services }) => {
  const { runId } = readParams(request, runIdParams);
  return json(200, await getRun(syncJobDeps(services), runId));
});

export const syncRunGet = httpFunction('syncRunGet', {
  route: 'sync/runs/{runId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncRunGetHandler,
});
