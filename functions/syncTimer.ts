import type { InvocationContext, Timer } from '@azure/functions';

import { timerFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { runSyncJob, syncJobDeps } from '../shared/runtime/syncJob';
import { runDueJobs } from '../shared/sync/runDueJobs';

export async function syncTimerHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context);
  const deps = syncJobDeps(services);
  const outcomes = await runDueJobs({
    jobs: deps.jobs,
    schedules: deps.schedules,
    now: () => new Date(),
    run: (jobId) => runSyncJob(services, jobId, { dryRun: false, actor: 'timer', trigger: 'timer' }, { log }),
  });
  for (const o of outcomes) log[o.status === 'error' ? 'error' : 'info']({ ...o }, 'scheduled sync');
}

export const syncTimer = timerFunction('syncTimer', {
  schedule: '%SYNC_TIMER_SCHEDULE%',
  handler: syncTimerHandler,
});
