/** Bodies and paths of the TAP routes. */

import { z } from 'zod';

export const tapRequestBody = z
  .object({
    lifetimeInMinutes: z.number().int().min(10).max(43_200).optional(),
    isUsableOnce: z.boolean().optional(),
    startDateTime: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const tapUserParams = z.object({ user: z.string().trim().min(1).max(320) });

export const retrievalParams = z.object({ retrievalId: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a retrieval id') });
