import { httpHandler } from '../shared/http/handler';
import { readJson, readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { privilegedLookup, tapDeps } from '../shared/runtime/remediation';
import { tapRequestBody, tapUserParams } from '../shared/tap/api';
import { issuePassForCaller } from '../shared/tap/issue';

/**
 * `POST /api/users/{user}/tap`: reads the TAP policy first and refuses (409, naming the setting) what sign-in would
 * block; the pass goes back to this caller only, never to a log, table or ticket.
 */
export const tapIssueHandler = httpHandler(async ({ request, services, caller }) => {
  const { user } = readParams(request, tapUserParams);
  const body = request.headers.get('content-length') === '0' ? {} : await readJson(request, tapRequestBody);
  const pass = await issuePassForCaller(tapDeps(services, privilegedLookup(services)), user, body, caller.name);
  return json(201, pass, { 'cache-control': 'no-store' });
});

export const tapIssue = httpFunction('tapIssue', {
  route: 'users/{user}/tap',
  methods: ['POST'],
  authLevel: 'function',
  handler: tapIssueHandler,
});
