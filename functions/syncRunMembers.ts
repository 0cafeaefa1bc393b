import { httpHandler } from '../shared/http/handler';
import { readParams, readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { syncReadDeps } from '../shared/runtime/readModels';
import { runIdParams } from '../shared/sync/jobModel';
import { getRun } from '../shared/sync/jobs';
import { membersQuery, runMembers } from '../shared/sync/planMembers';

/** `GET /api/sync/runs/{runId}/members?list=add|remove|errors&skip=&top=`: a page of the plan (or errors) with names. */
export const syncRunMembersHandler = httpHandler(async ({ request, services }) => {
  const { runId } = readParams(request, runIdParams);
  const page = readQuery(request, membersQuery);
  const deps = syncReadDeps(services);
  const run = await getRun(deps, runId);
  return json(200, await runMembers(run, page, deps.names), { 'cache-control': 'no-store' });
});

export const syncRunMembers = httpFunction('syncRunMembers', {
  route: 'sync/runs/{runId}/members',
  methods: ['GET'],
  authLevel: 'function',
  handler: syncRunMembersHandler,
});
