import { listBackups } from '../shared/conditional-access/backup';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { caBackupStore } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

export const caBackupsListHandler = httpHandler(async ({ services }) => {
  return json(200, { value: await listBackups(caBackupStore(services)) });
});

export const caBackupsList = httpFunction('caBackupsList', {
  route: 'ca/backups',
  methods: ['GET'],
  authLevel: 'function',
  handler: caBackupsListHandler,
});
