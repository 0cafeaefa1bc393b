/**
 * Conditional Access backups in the `ca-backups` container: `<backupId>/manifest.json` per backup and
 * `objects/<sha256>.json` for the content-addressed objects (a policy unchanged between backups is one blob).
 * Objects are uploaded with If-None-Match: * so two backups racing on the same content never overwrite each other.
 */

import type { ContainerClient } from '@azure/storage-blob';

import { BACKUP_ID, type BackupManifest, manifestPath, objectPath, sha256 } from '../conditional-access/backupModel';
import type { BackupStore, PlanStore, StoredObjectInfo } from '../conditional-access/backupPorts';
import { downloadText } from './blobText';
import { statusOf } from './storageErrors';

export const CA_BACKUP_CONTAINER = 'ca-backups';
const MANIFEST = /^(.+)\/manifest\.json$/;
const OBJECT = /^objects\/([0-9a-f]{64})\.json$/;

function readText(container: ContainerClient, path: string): Promise<string | undefined> {
  return downloadText(container.getBlobClient(path));
}

async function writeText(container: ContainerClient, path: string, text: string, onlyIfNew = false): Promise<boolean> {
  try {
    await container.getBlockBlobClient(path).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      ...(onlyIfNew ? { conditions: { ifNoneMatch: '*' } } : {}),
    });
    return true;
  } catch (err) {
    if (onlyIfNew && (statusOf(err) === 409 || statusOf(err) === 412)) return false;
    throw err;
  }
}

export class BlobCaBackupStore implements BackupStore {
  constructor(private readonly container: () => Promise<ContainerClient>) {}

  async putObject(hash: string, text: string): Promise<'written' | 'exists'> {
    const c = await this.container();
    const stored = await readText(c, objectPath(hash));
    if (stored !== undefined) {
      if (sha256(stored) === hash) return 'exists';
      // A damaged or hand-edited copy must not poison every later backup that shares this content: rewrite it.
      await writeText(c, objectPath(hash), text);
      return 'written';
    }
    return (await writeText(c, objectPath(hash), text, true)) ? 'written' : 'exists';
  }

  async getObject(hash: string): Promise<string | undefined> {
    return readText(await this.container(), objectPath(hash));
  }

  async putManifest(manifest: BackupManifest): Promise<void> {
    await writeText(await this.container(), manifestPath(manifest.backupId), JSON.stringify(manifest, null, 2));
  }

  async getManifestText(backupId: string): Promise<string | undefined> {
    return readText(await this.container(), manifestPath(backupId));
  }

  async listBackupIds(): Promise<string[]> {
    const c = await this.container();
    const ids: string[] = [];
    // One level of the hierarchy: the backup folders, without walking every content-addressed object under objects/.
    for await (const item of c.listBlobsByHierarchy('/')) {
      const id = item.kind === 'prefix' ? item.name.replace(/\/$/, '') : MANIFEST.exec(item.name)?.[1];
      if (id !== undefined && BACKUP_ID.test(id)) ids.push(id);
    }
    return ids;
  }

  async deleteManifest(backupId: string): Promise<void> {
    await (await this.container()).getBlockBlobClient(manifestPath(backupId)).deleteIfExists();
  }

  async listObjects(): Promise<StoredObjectInfo[]> {
    const c = await this.container();
    const out: StoredObjectInfo[] = [];
    for await (const b of c.listBlobsFlat({ prefix: 'objects/' })) {
      const hash = OBJECT.exec(b.name)?.[1];
      if (hash) out.push({ sha256: hash, lastModified: b.properties.lastModified });
    }
    return out;
  }

  async deleteObject(hash: string): Promise<void> {
    await (await this.container()).getBlockBlobClient(objectPath(hash)).deleteIfExists();
  }
}

/** JSON documents by id under a prefix of the same container (restore plans). */
export class BlobJsonStore<T> implements PlanStore<T> {
  constructor(
    private readonly container: () => Promise<ContainerClient>,
    private readonly prefix: string,
  ) {}

  async put(id: string, value: T): Promise<void> {
    await writeText(await this.container(), `${this.prefix}/${id}.json`, JSON.stringify(value));
  }

  async get(id: string): Promise<T | undefined> {
    if (!/^[\w-]{1,64}$/.test(id)) return undefined;
    const text = await readText(await this.container(), `${this.prefix}/${id}.json`);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
}
