import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { jobIdParams } from '../shared/sync/jobModel';
import { deleteJob } from '../shared/sync/jobs';

export const syncJobDeleteHandler = httpHandler(async ({ request, services, log }) => {
  const { jobId } = readParams(request, jobIdParams);
  await deleteJob(syncJobDeps(services), jobId);
  log.info({ jobId }, 'sync job deleted');
  return { status: 204 };
});

export const syncJobDelete = httpFunction('syncJobDelete', {
  route: 'sync/jobs/{jobId}',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: syncJobDeleteHandler,
});
