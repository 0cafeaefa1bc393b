/** Input schemas of the phone import's triggers: what a trigger receives stays `unknown` until one of these parses it. */

import { z } from 'zod';

/**
 * Names of imported files, whether posted (`?name=`) or dropped under incoming/: one path segment, so a name can
 * never reach into results/, processed/ or another import's blobs (`../`, `/`, control characters).
 */
export const csvFileName = z
  .string()
  .regex(/^[\w][\w .()-]{0,100}\.csv$/i, 'must be a file name ending in .csv (letters, digits, space, . _ - ( ))')
  .refine((n) => !n.includes('..'), 'must not contain ..');

/** `?name=` of `POST /api/phone-imports` (the trigger adds the API's common `dryRun` flag). */
export const uploadQuery = z.object({
  name: csvFileName.optional(),
});

export const importIdParams = z.object({ importId: z.string().regex(/^imp[0-9a-f]{29}$/, 'is not an import id') });

export const chunkMessage = z.object({
  importId: z.string().regex(/^imp[0-9a-f]{29}$/),
  chunk: z.number().int().min(0).max(1_000_000),
  attempt: z.number().int().min(1).max(100).optional(),
});

export const blobTriggerMetadata = z.looseObject({
  /** `<container>/<path>` of the blob that fired the trigger. */
  blobTrigger: z.string().min(1),
  uri: z.string().optional(),
  /** The Event Grid BlobCreated event's request ids, when the host passes them on. */
  requestId: z.string().optional(),
  clientRequestId: z.string().optional(),
  /** The blob's properties (ETag, LastModified, …); key casing depends on the host, so it is matched loosely. */
  properties: z.record(z.string(), z.unknown()).optional(),
});

const UPLOAD_PROPERTIES = ['etag', 'lastmodified', 'createdon', 'contentmd5'] as const;

/**
 * What identifies the write that created a dropped blob, for the import's audit entry: the request id when the trigger
 * has it, else the blob's ETag and last-modified time, which match one `PutBlob`/`PutBlockList` line (columns `Etag`,
 * `LastModifiedTime`, `CorrelationId` = request id, `RequesterUpn`) in the storage account's `StorageBlobLogs`.
 */
export function blobUploadFacts(meta: z.output<typeof blobTriggerMetadata>): Record<string, string> {
  const facts: Record<string, string> = {};
  if (meta.requestId) facts.requestId = meta.requestId;
  if (meta.clientRequestId) facts.clientRequestId = meta.clientRequestId;
  if (meta.uri) facts.uri = meta.uri.split('?')[0] ?? meta.uri; // never a SAS token
  for (const [key, value] of Object.entries(meta.properties ?? {})) {
    const name = UPLOAD_PROPERTIES.find((p) => p === key.toLowerCase());
    if (!name) continue;
    const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : undefined;
    if (text)
      facts[
        name === 'etag' ? 'etag' : name === 'lastmodified' ? 'lastModified' : name === 'createdon' ? 'createdOn' : 'contentMD5'
      ] = text;
  }
  return facts;
}

export const queueTriggerMetadata = z.looseObject({ id: z.string().optional(), dequeueCount: z.number().optional() });
