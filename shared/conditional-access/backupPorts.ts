/** Storage for CA backups and restore plans (adapter: shared/storage/caBackupStore.ts). */
import type { BackupManifest } from './backupModel';

export interface StoredObjectInfo {
  readonly sha256: string;
  readonly lastModified: Date;
}

export interface BackupStore {
  /** Stores the text under its hash unless it is already there; says which. */
  putObject(hash: string, text: string): Promise<'written' | 'exists'>;
  /** The stored text, or `undefined` when the file is missing. */
  getObject(hash: string): Promise<string | undefined>;
  putManifest(manifest: BackupManifest): Promise<void>;
  getManifestText(backupId: string): Promise<string | undefined>;
  listBackupIds(): Promise<string[]>;
  deleteManifest(backupId: string): Promise<void>;
  listObjects(): Promise<StoredObjectInfo[]>;
  deleteObject(hash: string): Promise<void>;
}

export interface PlanStore<T> {
  put(id: string, value: T): Promise<void>;
  get(id: string): Promise<T | undefined>;
}
