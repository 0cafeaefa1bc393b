import type { InvocationContext, Timer } from '@azure/functions';

import { expireDue } from '../shared/conditional-access/exclusions';
import { exclusionDeps } from '../shared/runtime/conditionalAccess';
import { timerFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';

/** Built over a clock so tests can move time forward instead of waiting for it. */
export function exclusionsTimerHandler(now: () => Date) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const { services, log } = invocation(context, { job: 'ca-exclusions' });
    const result = await expireDue(exclusionDeps(services, now));
    log[result.failed.length === 0 ? 'info' : 'error'](
      { expired: result.expired.length, failed: result.failed },
      'expiring Conditional Access exclusions',
    );
  };
}

export const caExclusionsTimerHandler = exclusionsTimerHandler(() => new Date());

export const caExclusionsTimer = timerFunction('caExclusionsTimer', {
  schedule: '%CA_EXCLUSION_SCHEDULE%',
  handler: caExclusionsTimerHandler,
});
