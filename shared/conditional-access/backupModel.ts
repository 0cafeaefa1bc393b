/**
 * The backup format. A backup is a manifest (`<backupId>/manifest.json`) listing every exported object with the
 * SHA-256 of its canonical JSON; the objects themselves are content-addressed (`objects/<sha256>.json`), so a policy
 * that did not change between two backups is stored once. The name sidecar (every referenced id → its name) is one
 * more content-addressed object. Reading a backup re-hashes every file: a corrupted or hand-edited file is refused with
 * its path and the reason.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import { canonicalJson } from './model';

export const BACKUP_FORMAT = 1;
export const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export type BackupKind = 'policy' | 'namedLocation' | 'authenticationStrength';

export const manifestEntrySchema = z.strictObject({
  kind: z.enum(['policy', 'namedLocation', 'authenticationStrength']),
  id: z.string().min(1),
  displayName: z.string().nullable(),
  sha256: z.string().regex(SHA256),
});

export const manifestSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  backupId: z.string().regex(BACKUP_ID),
  createdAt: z.iso.datetime(),
  trigger: z.enum(['timer', 'http']),
  actor: z.string(),
  counts: z.strictObject({
    policies: z.number().int().min(0),
    namedLocations: z.number().int().min(0),
    authenticationStrengths: z.number().int().min(0),
    referencedIds: z.number().int().min(0),
    unresolvedIds: z.number().int().min(0),
  }),
  /** Objects this backup wrote vs. found already stored (unchanged since an earlier backup). */
  stored: z.strictObject({ written: z.number().int().min(0), reused: z.number().int().min(0) }),
  sidecar: z.strictObject({ sha256: z.string().regex(SHA256) }),
  entries: z.array(manifestEntrySchema),
});

export type ManifestEntry = z.infer<typeof manifestEntrySchema>;
export type BackupManifest = z.infer<typeof manifestSchema>;

export const sidecarEntrySchema = z.strictObject({
  kind: z.enum(['user', 'group', 'role', 'application', 'namedLocation', 'authenticationStrength', 'servicePrincipal', 'other']),
  displayName: z.string().nullable(),
  userPrincipalName: z.string().nullable().optional(),
});

export const sidecarSchema = z.strictObject({
  names: z.record(z.string(), sidecarEntrySchema),
  /** Referenced ids nothing could name (deleted objects, or kinds this version cannot resolve). */
  unresolved: z.array(z.strictObject({ id: z.string(), kind: z.string(), paths: z.array(z.string()) })),
});

export type SidecarEntry = z.infer<typeof sidecarEntrySchema>;
export type Sidecar = z.infer<typeof sidecarSchema>;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The stored text of an object: canonical JSON, so the same content always gets the same hash. */
export function serialise(value: unknown): { text: string; sha256: string } {
  const text = canonicalJson(value);
  return { text, sha256: sha256(text) };
}

export function newBackupId(now: Date, random: () => string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${random().slice(0, 6)}`;
}

export const manifestPath = (backupId: string): string => `${backupId}/manifest.json`;
export const objectPath = (hash: string): string => `objects/${hash}.json`;

/** Properties that change without anyone editing the policy; never part of a diff or a restore. */
export const VOLATILE = new Set(['modifiedDateTime', 'createdDateTime', '@odata.context']);
