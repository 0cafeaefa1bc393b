import type { InvocationContext, Timer } from '@azure/functions';

import { createBackup } from '../shared/conditional-access/backup';
import { backupDeps } from '../shared/runtime/conditionalAccess';
import { timerFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';

export async function caBackupTimerHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'ca-backup' });
  const manifest = await createBackup(backupDeps(services), { trigger: 'timer', actor: 'timer' });
  log.info({ backupId: manifest.backupId, counts: manifest.counts, stored: manifest.stored }, 'scheduled CA backup written');
}

export const caBackupTimer = timerFunction('caBackupTimer', {
  schedule: '%CA_BACKUP_SCHEDULE%',
  handler: caBackupTimerHandler,
});
