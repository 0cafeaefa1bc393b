import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncJobDeps } from '../shared/runtime/syncJob';
import { listJobs } from '../shared/sync/jobs';

export const syncJobsListHandler = httpHandler(async ({ services }) => {
  const jobs = await listJobs(syncJobDeps(services));
  return json(200, { value: jobs });
});

export const syncJobsList = httpFunction('syncJobsList', {
  route: 'sync/jobs',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncJobsListHandler,
});
