/** `GET /api/ca/backups/{backupId}/diff[?against=live|<backupId>]`: what changed since the backup. */
import { loadBackup } from './backup';
import type { BackupStore } from './backupPorts';
import { diffPolicies, type PolicyDiff } from './diff';
import type { DirectoryLookup, PolicyReader } from './ports';
import { referencesOf } from './references';

export interface DiffDeps {
  readonly store: BackupStore;
  readonly policies: PolicyReader;
  readonly directory: DirectoryLookup;
}

export interface BackupDiffReport extends PolicyDiff {
  readonly from: string;
  readonly to: string;
}

export async function diffBackup(deps: DiffDeps, backupId: string, against: string): Promise<BackupDiffReport> {
  const base = await loadBackup(deps.store, backupId);
  const names = new Map<string, string | null>(Object.entries(base.sidecar.names).map(([id, e]) => [id, e.displayName]));
  let after;
  if (against === 'live') {
    after = await deps.policies.listPolicies();
    // Ids that appear only live (added since the backup) are named from the directory.
    const missing = [...new Set(after.flatMap((p) => referencesOf(p).map((r) => r.id)))].filter((id) => !names.has(id));
    for (const [id, d] of await deps.directory.namesOf(missing)) names.set(id, d.displayName);
  } else {
    const other = await loadBackup(deps.store, against);
    for (const [id, e] of Object.entries(other.sidecar.names)) if (!names.has(id)) names.set(id, e.displayName);
    after = other.policies;
  }
  return { from: backupId, to: against, ...diffPolicies(base.policies, after, (id) => names.get(id)) };
}
