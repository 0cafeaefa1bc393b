import type { InvocationContext, Timer } from '@azure/functions';

import { pollRisk } from '../shared/risk/poll';
import { timerFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { riskDeps } from '../shared/runtime/risk';

/** The risk poller on its schedule: catches what events missed and resolves risk cleared elsewhere. */
export async function riskPollTimerHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'risk' });
  const summary = await pollRisk(riskDeps(services, log));
  log[summary.errors.length > 0 ? 'error' : 'info']({ ...summary }, 'risk poll finished');
}

export const riskPollTimer = timerFunction('riskPollTimer', {
  schedule: '%RISK_POLL_SCHEDULE%',
  handler: riskPollTimerHandler,
});
