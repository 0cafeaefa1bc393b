import { httpHandler } from '../shared/http/handler';
import { readParams, readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncReadDeps } from '../shared/runtime/readModels';
import { runsQuery } from '../shared/sync/history';
import { jobIdParams } from '../shared/sync/jobModel';

/** `GET /api/sync/jobs/{jobId}/runs?top=&after=`: the job's runs, newest first, one summary each. */
export const syncJobRunsHandler = httpHandler(async ({ request, services }) => {
  const { jobId } = readParams(request, jobIdParams);
  const { top, after } = readQuery(request, runsQuery);
  const page = await syncReadDeps(services).history.forJob(jobId.toLowerCase(), top, after);
  return json(200, { value: page.runs, ...(page.next && { next: page.next }) }, { 'cache-control': 'no-store' });
});

export const syncJobRuns = httpFunction('syncJobRuns', {
  route: 'sync/jobs/{jobId}/runs',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncJobRunsHandler,
});
