import { createBackup } from '../shared/conditional-access/backup';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { backupDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

export const caBackupsCreateHandler = httpHandler(async ({ services, caller, log }) => {
  const manifest = await createBackup(backupDeps(services), { trigger: 'http', actor: caller.name });
  log.info({ backupId: manifest.backupId, counts: manifest.counts, stored: manifest.stored }, 'CA backup written');
  return json(201, manifest, { location: `/api/ca/backups/${manifest.backupId}/diff` });
});

export const caBackupsCreate = httpFunction('caBackupsCreate', {
  route: 'ca/backups',
  methods: ['POST'],
  authLevel: 'function',
  handler: caBackupsCreateHandler,
});
