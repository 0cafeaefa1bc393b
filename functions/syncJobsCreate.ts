import { httpHandler } from '../shared/http/handler';
import { readJson } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { jobInputSchema } from '../shared/sync/jobModel';
import { createJob } from '../shared/sync/jobs';

export const syncJobsCreateHandler = httpHandler(async ({ request, services, caller, log }) => {
  const input = await readJson(request, jobInputSchema);
  const job = await createJob(syncJobDeps(services), input, caller.name);
  log.info({ jobId: job.jobId, target: job.target }, 'sync job created');
  return json(201, job, { location: `/api/sync/jobs/${job.jobId}` });
});

export const syncJobsCreate = httpFunction('syncJobsCreate', {
  route: 'sync/jobs',
  methods: ['POST'],
  authLevel: 'function',
  handler: syncJobsCreateHandler,
});
