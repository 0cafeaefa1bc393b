import { httpHandler } from '../shared/http/handler';
import { dryRunQuery, readParams, readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { runSyncJob } from '../shared/runtime/syncJob';
import { jobIdParams } from '../shared/sync/jobModel';

export const syncJobRunHandler = httpHandler(async ({ request, services, caller, log }) => {
  const { jobId } = readParams(request, jobIdParams);
  const { dryRun } = readQuery(request, dryRunQuery);
  const run = await runSyncJob(services, jobId, { dryRun, actor: caller.name, trigger: 'http' }, { log });
  log.info(
    { jobId, runId: run.runId, status: run.status, counts: run.counts, graphRequests: run.graphRequests },
    'sync run finished',
  );
  return json(200, run, { location: `/api/sync/runs/${run.runId}` });
});

export const syncJobRun = httpFunction('syncJobRun', {
  route: 'sync/jobs/{jobId}/run',
  methods: ['POST'],
  authLevel: 'function',
  handler: syncJobRunHandler,
});
