import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { pollRisk } from '../shared/risk/poll';
import { httpFunction } from '../shared/runtime/definitions';
import { riskDeps } from '../shared/runtime/risk';

/** POST /api/risk/poll: runs the poller now and answers with its summary. */
export const riskPollHandler = httpHandler(async ({ services, log }) => {
  const summary = await pollRisk(riskDeps(services, log));
  log.info({ ...summary }, 'risk poll finished');
  return json(200, summary);
});

export const riskPoll = httpFunction('riskPoll', {
  route: 'risk/poll',
  methods: ['POST'],
  authLevel: 'function',
  handler: riskPollHandler,
});
