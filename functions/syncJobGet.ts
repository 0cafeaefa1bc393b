import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { jobIdParams } from '../shared/sync/jobModel';
import { getJob } from '../shared/sync/jobs';

export const syncJobGetHandler = httpHandler(async ({ request, services }) => {
  const { jobId } = readParams(request, jobIdParams);
  return json(200, await getJob(syncJobDeps(services), jobId));
});

export const syncJobGet = httpFunction('syncJobGet', {
  route: 'sync/jobs/{jobId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncJobGetHandler,
});
