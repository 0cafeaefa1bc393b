import { readFileSync } from 'node:fs';

import { z } from 'zod';

import type { QueueSettings } from './types';

/**
 * The parts of host.json the local host honours: `extensions.http.routePrefix` and `extensions.queues`
 * (https://learn.microsoft.com/azure/azure-functions/functions-host-json#queues). TimeSpans are `[d.]hh:mm:ss[.fff]`.
 */
const timeSpan = z
  .string()
  .regex(/^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/, 'must be a TimeSpan such as 00:00:30')
  .transform((v) => {
    const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(v)!;
    const seconds = Number(m[1] ?? 0) * 86_400 + Number(m[2]) * 3_600 + Number(m[3]) * 60 + Number(m[4]);
    return Math.round((seconds + Number(`0.${m[5] ?? '0'}`)) * 1000);
  });

const hostJsonSchema = z.looseObject({
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      queues: z
        .looseObject({
          maxPollingInterval: z.union([timeSpan, z.number().int().positive()]).optional(),
          visibilityTimeout: timeSpan.optional(),
          batchSize: z.number().int().min(1).max(32).optional(),
          newBatchThreshold: z.number().int().min(0).optional(),
          maxDequeueCount: z.number().int().min(1).optional(),
          messageEncoding: z.enum(['base64', 'none']).optional(),
        })
        .optional(),
    })
    .optional(),
});

export interface HostJsonSettings {
  readonly routePrefix?: string;
  readonly queues: Partial<QueueSettings>;
}

export function parseHostJson(value: unknown): HostJsonSettings {
  const parsed = hostJsonSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`host.json: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  const q = parsed.data.extensions?.queues;
  const queues: { -readonly [K in keyof QueueSettings]?: QueueSettings[K] } = {};
  if (q?.maxPollingInterval !== undefined) queues.maxPollingIntervalMs = q.maxPollingInterval;
  if (q?.visibilityTimeout !== undefined) queues.visibilityTimeoutMs = q.visibilityTimeout;
  if (q?.batchSize !== undefined) queues.batchSize = q.batchSize;
  if (q?.newBatchThreshold !== undefined) queues.newBatchThreshold = q.newBatchThreshold;
  if (q?.maxDequeueCount !== undefined) queues.maxDequeueCount = q.maxDequeueCount;
  if (q?.messageEncoding !== undefined) queues.messageEncoding = q.messageEncoding;
  const routePrefix = parsed.data.extensions?.http?.routePrefix;
  return routePrefix === undefined ? { queues } : { routePrefix, queues };
}

export function loadHostSettings(path: string): HostJsonSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { queues: {} };
  }
  return parseHostJson(JSON.parse(text) as unknown);
}
