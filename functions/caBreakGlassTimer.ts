import type { InvocationContext, Timer } from '@azure/functions';

import { runBreakGlassGuard } from '../shared/conditional-access/breakGlass';
import { breakGlassDeps, caTickets } from '../shared/runtime/conditionalAccess';
import { timerFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';

export async function caBreakGlassTimerHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'ca-break-glass' });
  const run = await runBreakGlassGuard(breakGlassDeps(services, caTickets(services)), {
    trigger: 'timer',
    actor: 'timer',
    autoFix: services.config.conditionalAccess.breakGlassAutoFix,
    dryRun: false,
  });
  const level = run.status === 'succeeded' && run.violations.length === 0 ? 'info' : 'error';
  log[level](
    { runId: run.runId, status: run.status, violations: run.violations.length, configurationErrors: run.configurationErrors },
    'break-glass guard',
  );
}

export const caBreakGlassTimer = timerFunction('caBreakGlassTimer', {
  schedule: '%CA_BREAK_GLASS_SCHEDULE%',
  handler: caBreakGlassTimerHandler,
});
