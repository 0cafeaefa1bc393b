import { httpHandler } from '../shared/http/handler';
import { readJson, readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { jobIdParams, jobInputSchema } from '../shared/sync/jobModel';
import { replaceJob } from '../shared/sync/jobs';

export const syncJobPutHandler = httpHandler(async ({ request, services, caller, log }) => {
  const { jobId } = readParams(request, jobIdParams);
  const input = await readJson(request, jobInputSchema);
  const job = await replaceJob(syncJobDeps(services), jobId, input, caller.name);
  log.info({ jobId, target: job.target }, 'sync job replaced');
  return json(200, job);
});

export const syncJobPut = httpFunction('syncJobPut', {
  route: 'sync/jobs/{jobId}',
  methods: ['PUT'],
  authLevel: 'function',
  handler: syncJobPutHandler,
});
