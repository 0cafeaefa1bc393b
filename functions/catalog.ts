import type { FunctionDefinition } from '../shared/runtime/definitions';
import { consoleApiDelete, consoleApiGet, consoleApiPost, consoleApiPut } from './consoleApi';
import { consoleAssets } from './consoleAssets';
import { consoleConfig } from './consoleConfig';
import { health } from './health';
import { overview } from './overview';
import { phoneImportBlob } from './phoneImportBlob';
import { phoneImportGet } from './phoneImportGet';
import { phoneImportPost } from './phoneImportPost';
import { phoneImportResults } from './phoneImportResults';
import { phoneImportRows } from './phoneImportRows';
import { phoneImportsList } from './phoneImportsList';
import { phoneImportWorker } from './phoneImportWorker';
import { syncImportMemberOf } from './syncImportMemberOf';
import { syncJobDelete } from './syncJobDelete';
import { syncJobGet } from './syncJobGet';
import { syncJobPut } from './syncJobPut';
import { syncJobRun } from './syncJobRun';
import { syncJobRuns } from './syncJobRuns';
import { syncJobsCreate } from './syncJobsCreate';
import { syncJobsList } from './syncJobsList';
import { syncRunGet } from './syncRunGet';
import { syncRunMembers } from './syncRunMembers';
import { syncTimer } from './syncTimer';

/** Every function of the app, in one list: registered with Azure by index.ts and run by the local host. */
export const allFunctions: readonly FunctionDefinition[] = [
  consoleApiDelete,
  consoleApiGet,
  consoleApiPost,
  consoleApiPut,
  consoleAssets,
  consoleConfig,
  health,
  overview,
  phoneImportBlob,
  phoneImportGet,
  phoneImportPost,
  phoneImportResults,
  phoneImportRows,
  phoneImportsList,
  phoneImportWorker,
  syncImportMemberOf,
  syncJobDelete,
  syncJobGet,
  syncJobPut,
  syncJobRun,
  syncJobRuns,
  syncJobsCreate,
  syncJobsList,
  syncRunGet,
  syncRunMembers,
  syncTimer,
];
