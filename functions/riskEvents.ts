import type { EventGridEvent, InvocationContext } from '@azure/functions';

import { handleRiskEvent } from '../shared/risk/events';
import { eventGridFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { riskDeps } from '../shared/runtime/risk';

/**
 * Risk signals published to the custom Event Grid topic (Event Grid schema or CloudEvents 1.0; the runtime invokes
 * this once per event). Returning acknowledges the event; throwing makes Event Grid retry and then dead-letter it.
 */
export async function riskEventsHandler(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'risk' });
  const outcome = await handleRiskEvent(riskDeps(services, log), event, log);
  log.info({ ...outcome }, 'risk event handled');
}

export const riskEvents = eventGridFunction('riskEvents', { handler: riskEventsHandler });
