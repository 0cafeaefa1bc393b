/**
 * Versioned backups of Conditional Access: every policy, named location and authentication strength, plus a sidecar
 * naming every id they reference, written content-addressed (unchanged objects are stored once) with a manifest of
 * counts and hashes. Reading verifies every hash. Retention deletes old manifests, then objects no manifest uses.
 */
import type { AuditSink } from '../audit';
import { AppError, notFound } from '../errors';
import {
  BACKUP_FORMAT,
  BACKUP_ID,
  type BackupManifest,
  type ManifestEntry,
  manifestPath,
  manifestSchema,
  newBackupId,
  objectPath,
  serialise,
  sha256,
  type Sidecar,
  type SidecarEntry,
  sidecarSchema,
} from './backupModel';
import type { BackupStore } from './backupPorts';
import { type CaPolicy, isJson, isPolicy, type Json } from './model';
import type { DirectoryLookup, PolicyReader } from './ports';
import { type Reference, referencesOf } from './references';

export interface BackupDeps {
  readonly policies: PolicyReader;
  readonly directory: DirectoryLookup;
  readonly store: BackupStore;
  readonly audit: AuditSink;
  readonly now: () => Date;
  readonly randomHex: () => string;
  readonly retentionDays: number;
}

export interface LoadedBackup {
  readonly manifest: BackupManifest;
  readonly policies: CaPolicy[];
  readonly namedLocations: Json[];
  readonly authenticationStrengths: Json[];
  readonly sidecar: Sidecar;
}

/** Objects newer than this are never collected: a backup in progress may have written them before its manifest. */
const GC_GRACE_MS = 24 * 3_600_000;

export async function buildSidecar(
  policies: readonly Json[],
  locations: readonly Json[],
  strengths: readonly Json[],
  directory: DirectoryLookup,
): Promise<Sidecar> {
  const refs = new Map<string, { kind: Reference['kind']; paths: Set<string> }>();
  for (const p of policies) {
    for (const r of referencesOf(p)) {
      const seen = refs.get(r.id) ?? { kind: r.kind, paths: new Set<string>() };
      seen.paths.add(`${String(p.displayName)}: ${r.path}`);
      refs.set(r.id, seen);
    }
  }
  const names: Record<string, SidecarEntry> = {};
  const own = new Map<string, SidecarEntry>();
  for (const l of locations) own.set(String(l.id), { kind: 'namedLocation', displayName: str(l.displayName) });
  for (const s of strengths) own.set(String(s.id), { kind: 'authenticationStrength', displayName: str(s.displayName) });
  const directoryIds = [...refs].filter(([, r]) => r.kind === 'user' || r.kind === 'group').map(([id]) => id);
  const found = await directory.namesOf(directoryIds);
  const unresolved: Sidecar['unresolved'] = [];
  for (const [id, r] of refs) {
    const d = found.get(id);
    const entry: SidecarEntry | undefined = d
      ? { kind: r.kind, displayName: d.displayName, ...(d.userPrincipalName ? { userPrincipalName: d.userPrincipalName } : {}) }
      : own.get(id);
    if (entry) names[id] = entry;
    else unresolved.push({ id, kind: r.kind, paths: [...r.paths].sort() });
  }
  return { names, unresolved: unresolved.sort((a, b) => a.id.localeCompare(b.id)) };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export async function createBackup(
  deps: BackupDeps,
  options: { trigger: 'timer' | 'http'; actor: string },
): Promise<BackupManifest> {
  const [policies, namedLocations, authenticationStrengths] = [
    await deps.policies.listPolicies(),
    await deps.policies.listNamedLocations(),
    await deps.policies.listAuthenticationStrengths(),
  ];
  const sidecar = await buildSidecar(policies, namedLocations, authenticationStrengths, deps.directory);
  const entries: ManifestEntry[] = [];
  const stored = { written: 0, reused: 0 };
  const put = async (value: unknown): Promise<string> => {
    const { text, sha256: hash } = serialise(value);
    stored[(await deps.store.putObject(hash, text)) === 'written' ? 'written' : 'reused']++;
    return hash;
  };
  const add = async (kind: ManifestEntry['kind'], o: Json) =>
    entries.push({ kind, id: String(o.id), displayName: str(o.displayName), sha256: await put(o) });
  for (const p of policies) await add('policy', p);
  for (const l of namedLocations) await add('namedLocation', l);
  for (const s of authenticationStrengths) await add('authenticationStrength', s);
  const sidecarHash = await put(sidecar);

  const now = deps.now();
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    backupId: newBackupId(now, deps.randomHex),
    createdAt: now.toISOString(),
    trigger: options.trigger,
    actor: options.actor,
    counts: {
      policies: policies.length,
      namedLocations: namedLocations.length,
      authenticationStrengths: authenticationStrengths.length,
      referencedIds: Object.keys(sidecar.names).length + sidecar.unresolved.length,
      unresolvedIds: sidecar.unresolved.length,
    },
    stored,
    sidecar: { sha256: sidecarHash },
    entries,
  };
  await deps.store.putManifest(manifest);
  await deps.audit.write([
    {
      action: 'ca.backup.create',
      outcome: 'succeeded',
      actor: options.actor,
      target: manifest.backupId,
      job: 'ca-backup',
      details: { counts: manifest.counts, stored },
    },
  ]);
  await applyRetention(deps, now);
  return manifest;
}

function corrupted(file: string, reason: string): AppError {
  return new AppError('BACKUP_CORRUPTED', `Backup file ${file} cannot be used: ${reason}`, 422, { file, reason });
}

export async function readManifest(store: BackupStore, backupId: string): Promise<BackupManifest> {
  if (!BACKUP_ID.test(backupId)) throw notFound('BACKUP_NOT_FOUND', `No backup '${backupId}'`);
  const file = manifestPath(backupId);
  const text = await store.getManifestText(backupId);
  if (text === undefined) throw notFound('BACKUP_NOT_FOUND', `No backup '${backupId}'`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupted(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupted(file, `${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}`);
  }
  if (parsed.data.backupId !== backupId) throw corrupted(file, `names backup ${parsed.data.backupId}, not ${backupId}`);
  return parsed.data;
}

async function readObject(store: BackupStore, hash: string): Promise<unknown> {
  const file = objectPath(hash);
  const text = await store.getObject(hash);
  if (text === undefined) throw corrupted(file, 'the file is missing');
  const actual = sha256(text);
  if (actual !== hash) throw corrupted(file, `its SHA-256 is ${actual}, the manifest expects ${hash} (edited or damaged)`);
  return JSON.parse(text) as unknown;
}

/** Reads a backup and verifies every file against the manifest's hashes. */
export async function loadBackup(store: BackupStore, backupId: string): Promise<LoadedBackup> {
  const manifest = await readManifest(store, backupId);
  const policies: CaPolicy[] = [];
  const namedLocations: Json[] = [];
  const authenticationStrengths: Json[] = [];
  for (const e of manifest.entries) {
    const value = await readObject(store, e.sha256);
    const file = objectPath(e.sha256);
    if (!isJson(value) || value.id !== e.id) throw corrupted(file, `does not hold ${e.kind} ${e.id}`);
    if (e.kind === 'policy') {
      if (!isPolicy(value)) throw corrupted(file, 'is not a Conditional Access policy (id, displayName, state)');
      policies.push(value);
    } else if (e.kind === 'namedLocation') namedLocations.push(value);
    else authenticationStrengths.push(value);
  }
  const sidecarValue = await readObject(store, manifest.sidecar.sha256);
  const sidecar = sidecarSchema.safeParse(sidecarValue);
  if (!sidecar.success) throw corrupted(objectPath(manifest.sidecar.sha256), 'is not a name sidecar');
  return { manifest, policies, namedLocations, authenticationStrengths, sidecar: sidecar.data };
}

export interface BackupSummary {
  readonly backupId: string;
  readonly createdAt: string;
  readonly trigger: string;
  readonly counts: BackupManifest['counts'];
  readonly stored: BackupManifest['stored'];
}

type ListedBackup = BackupSummary | { backupId: string; problem: string };

async function summaryOf(store: BackupStore, id: string): Promise<ListedBackup> {
  try {
    const m = await readManifest(store, id);
    return { backupId: m.backupId, createdAt: m.createdAt, trigger: m.trigger, counts: m.counts, stored: m.stored };
  } catch (err) {
    return { backupId: id, problem: err instanceof Error ? err.message : String(err) };
  }
}

/** Manifests read eight at a time: a year of daily backups is 365 reads, not 365 round trips in a row. */
const MANIFEST_READS = 8;

/** Newest first. A manifest that cannot be read is listed with its problem rather than hiding the others. */
export async function listBackups(store: BackupStore): Promise<ListedBackup[]> {
  const ids = (await store.listBackupIds()).sort().reverse();
  const out: ListedBackup[] = [];
  for (let i = 0; i < ids.length; i += MANIFEST_READS) {
    out.push(...(await Promise.all(ids.slice(i, i + MANIFEST_READS).map((id) => summaryOf(store, id)))));
  }
  return out;
}

/** When a backup was taken, from its id (`yyyymmddThhmmssZ-…`, the manifest's createdAt to the second). */
function takenAt(backupId: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(backupId);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

/** Deletes manifests older than the retention, then objects that no remaining manifest references. */
export async function applyRetention(deps: BackupDeps, now: Date): Promise<{ deletedBackups: string[]; deletedObjects: number }> {
  const cutoff = now.getTime() - deps.retentionDays * 86_400_000;
  // Most runs find nothing expired: then no manifest needs reading (each backup would otherwise read them all).
  const ids = await deps.store.listBackupIds();
  if (!ids.some((id) => takenAt(id) < cutoff)) return { deletedBackups: [], deletedObjects: 0 };
  const keep = new Set<string>();
  const deletedBackups: string[] = [];
  for (const id of ids) {
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(deps.store, id);
    } catch {
      // An unreadable manifest is kept (and its objects with it) for a person to look at; never guess.
      return { deletedBackups, deletedObjects: 0 };
    }
    if (Date.parse(manifest.createdAt) < cutoff) {
      await deps.store.deleteManifest(id);
      deletedBackups.push(id);
    } else {
      for (const e of manifest.entries) keep.add(e.sha256);
      keep.add(manifest.sidecar.sha256);
    }
  }
  let deletedObjects = 0;
  if (deletedBackups.length > 0) {
    for (const o of await deps.store.listObjects()) {
      if (!keep.has(o.sha256) && now.getTime() - o.lastModified.getTime() > GC_GRACE_MS) {
        await deps.store.deleteObject(o.sha256);
        deletedObjects++;
      }
    }
  }
  return { deletedBackups, deletedObjects };
}
