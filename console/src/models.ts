/**
 * The API's response types, imported from the app's own modules (type-only: nothing from the server is bundled), so
 * the console cannot drift from what the routes return.
 */
export type { BackupSummary } from '../../shared/conditional-access/backup';
export type { BackupDiffReport } from '../../shared/conditional-access/backupDiff';
export type { BackupManifest } from '../../shared/conditional-access/backupModel';
export type { BreakGlassRun } from '../../shared/conditional-access/breakGlass';
export type { GuestRiskReport } from '../../shared/conditional-access/guestRisk';
export type { HealthReport } from '../../shared/health';
export type { Overview } from '../../shared/overview';
export type { ResultRow, RowPage } from '../../shared/phones/history';
export type { ImportProgress } from '../../shared/phones/status';
export type { RiskTicket, TimelineEntry } from '../../shared/risk/model';
export type { RunSummary } from '../../shared/sync/history';
export type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
export type { MemberPage, NamedMember } from '../../shared/sync/planMembers';
