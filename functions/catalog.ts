import type { FunctionDefinition } from '../shared/runtime/definitions';
import { bannedWordsGet } from './bannedWordsGet';
import { bannedWordsPut } from './bannedWordsPut';
import { caBackupDiff } from './caBackupDiff';
import { caBackupsCreate } from './caBackupsCreate';
import { caBackupsList } from './caBackupsList';
import { caBackupTimer } from './caBackupTimer';
import { caBreakGlassGet } from './caBreakGlassGet';
import { caBreakGlassTimer } from './caBreakGlassTimer';
import { caExclusionsCreate } from './caExclusionsCreate';
import { caExclusionsDelete } from './caExclusionsDelete';
import { caExclusionsList } from './caExclusionsList';
import { caExclusionsTimer } from './caExclusionsTimer';
import { caGuestRisk } from './caGuestRisk';
import { caGuestRiskFix } from './caGuestRiskFix';
import { caRestore } from './caRestore';
import { caWhyBlocked } from './caWhyBlocked';
import { consoleApiDelete, consoleApiGet, consoleApiPost, consoleApiPut } from './consoleApi';
import { consoleAssets } from './consoleAssets';
import { consoleConfig } from './consoleConfig';
import { health } from './health';
import { overview } from './overview';
import { phoneImportBlob } from './phoneImportBlob';
import { phoneImportGet } from './phoneImportGet';
import { phoneImportPoison } from './phoneImportPoison';
import { phoneImportPost } from './phoneImportPost';
import { phoneImportResults } from './phoneImportResults';
import { phoneImportRows } from './phoneImportRows';
import { phoneImportsList } from './phoneImportsList';
import { phoneImportSweep } from './phoneImportSweep';
import { phoneImportWorker } from './phoneImportWorker';
import { remediationsPost } from './remediationsPost';
import { remediationWorker } from './remediationWorker';
import { riskEvents } from './riskEvents';
import { riskPoll } from './riskPoll';
import { riskPollTimer } from './riskPollTimer';
import { riskTicketSync } from './riskTicketSync';
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
import { tapIssue } from './tapIssue';
import { tapRetrieve } from './tapRetrieve';
import { ticketCallback } from './ticketCallback';
import { ticketGet } from './ticketGet';
import { ticketsList } from './ticketsList';

/** Every function of the app, in one list: registered with Azure by index.ts and run by the local host. */
export const allFunctions: readonly FunctionDefinition[] = [
  bannedWordsGet,
  bannedWordsPut,
  caBackupDiff,
  caBackupsCreate,
  caBackupsList,
  caBackupTimer,
  caRestore,
  caBreakGlassGet,
  caBreakGlassTimer,
  caExclusionsCreate,
  caExclusionsList,
  caExclusionsDelete,
  caExclusionsTimer,
  caGuestRisk,
  caGuestRiskFix,
  caWhyBlocked,
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
  phoneImportPoison,
  phoneImportPost,
  phoneImportSweep,
  phoneImportResults,
  phoneImportRows,
  phoneImportsList,
  phoneImportWorker,
  riskEvents,
  riskPoll,
  riskPollTimer,
  riskTicketSync,
  remediationsPost,
  remediationWorker,
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
  ticketGet,
  ticketsList,
  tapIssue,
  tapRetrieve,
  ticketCallback,
];
