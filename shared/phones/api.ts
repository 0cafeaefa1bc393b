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
});

export const queueTriggerMetadata = z.looseObject({ id: z.string().optional(), dequeueCount: z.number().optional() });
