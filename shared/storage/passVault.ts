/**
 * One-time retrieval of passes and temporary passwords (table `passvault`). The secret is encrypted at rest with
 * AES-256-GCM under a key from the app settings (`PASS_VAULT_KEY`, a Key Vault reference in Azure), bound to its row by
 * the GCM additional data so a ciphertext copied to another row does not decrypt. The row key is the SHA-256 of the
 * retrieval id: the table alone does not hold the link. A read deletes the row with its etag, so of two racing
 * readers exactly one gets the secret; an expired row is deleted unread.
 */

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { PassVault, RetrievedSecret, SecretToKeep } from '../remediation/ports';
import { statusOf } from './storageErrors';

export const PASS_VAULT_TABLE = 'passvault';
const PARTITION = 'pass';

interface VaultEntity {
  partitionKey: string;
  rowKey: string;
  kind: string;
  userId: string;
  userPrincipalName: string;
  expiresAt: string;
  iv: string;
  tag: string;
  data: string;
  etag?: string;
}

export const retrievalIdPattern = /^[A-Za-z0-9_-]{43}$/;

const rowKeyOf = (retrievalId: string): string => createHash('sha256').update(retrievalId, 'utf8').digest('hex');

export function vaultKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('PASS_VAULT_KEY must be 32 random bytes, base64-encoded');
  return key;
}

export class TablePassVault implements PassVault {
  constructor(
    private readonly table: () => Promise<TableClient>,
    private readonly key: Buffer,
  ) {}

  async put(secret: SecretToKeep): Promise<{ retrievalId: string; expiresAt: string }> {
    const retrievalId = randomBytes(32).toString('base64url');
    const rowKey = rowKeyOf(retrievalId);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${PARTITION}/${rowKey}/${secret.kind}/${secret.userId}`, 'utf8'));
    const data = Buffer.concat([cipher.update(secret.value, 'utf8'), cipher.final()]);
    const expiresAt = secret.expiresAt.toISOString();
    const entity: VaultEntity = {
      partitionKey: PARTITION,
      rowKey,
      kind: secret.kind,
      userId: secret.userId,
      userPrincipalName: secret.userPrincipalName,
      expiresAt,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await (await this.table()).createEntity(entity);
    return { retrievalId, expiresAt };
  }

  async take(retrievalId: string, now: Date): Promise<RetrievedSecret | undefined> {
    if (!retrievalIdPattern.test(retrievalId)) return undefined;
    const table = await this.table();
    const rowKey = rowKeyOf(retrievalId);
    let entity: VaultEntity;
    try {
      entity = await table.getEntity<VaultEntity>(PARTITION, rowKey);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    try {
      await table.deleteEntity(PARTITION, rowKey, { etag: entity.etag ?? '*' });
    } catch (err) {
      // Another reader deleted it first: they got the secret, this caller gets nothing.
      if (statusOf(err) === 404 || statusOf(err) === 412) return undefined;
      throw err;
    }
    if (Date.parse(entity.expiresAt) <= now.getTime()) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(entity.iv, 'base64'));
    decipher.setAAD(Buffer.from(`${PARTITION}/${rowKey}/${entity.kind}/${entity.userId}`, 'utf8'));
    decipher.setAuthTag(Buffer.from(entity.tag, 'base64'));
    const value = Buffer.concat([decipher.update(Buffer.from(entity.data, 'base64')), decipher.final()]).toString('utf8');
    return {
      kind: entity.kind === 'temporaryPassword' ? 'temporaryPassword' : 'temporaryAccessPass',
      value,
      userId: entity.userId,
      userPrincipalName: entity.userPrincipalName,
      expiresAt: entity.expiresAt,
    };
  }
}
