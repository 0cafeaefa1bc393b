import type { InvocationContext, Timer } from '@azure/functions';

import { sweepStuckImports } from '../shared/phones/recover';
import { timerFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { phoneImportDeps } from '../shared/runtime/phoneImport';

/** Finishes phone imports stuck in `running` (a chunk message lost), so every import ends with a results file. */
export async function phoneImportSweepHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'phones' });
  const finished = await sweepStuckImports({ ...phoneImportDeps(services, log), clock: () => new Date() });
  if (finished.length > 0) log.warn({ imports: finished }, 'phone import sweep finished stuck imports');
}

export const phoneImportSweep = timerFunction('phoneImportSweep', {
  schedule: '%PHONE_SWEEP_SCHEDULE%',
  handler: phoneImportSweepHandler,
});
