import { z } from 'zod';

import { diffBackup } from '../shared/conditional-access/backupDiff';
import { BACKUP_ID } from '../shared/conditional-access/backupModel';
import { httpHandler } from '../shared/http/handler';
import { readParams, readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { diffDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

const backupId = z.string().regex(BACKUP_ID, 'must be a backup id such as 20261202T020000Z-1a2b3c');
const params = z.object({ backupId });
const query = z.strictObject({ against: z.union([z.literal('live'), backupId]).default('live') });

export const caBackupDiffHandler = httpHandler(async ({ request, services }) => {
  const { backupId: id } = readParams(request, params);
  const { against } = readQuery(request, query);
  return json(200, await diffBackup(diffDeps(services), id, against));
});

export const caBackupDiff = httpFunction('caBackupDiff', {
  route: 'ca/backups/{backupId}/diff',
  methods: ['GET'],
  authLevel: 'function',
  handler: caBackupDiffHandler,
});
