/** Behaviour knobs (docs: notes/SANDBOX_API.md). Every sandbox duration is divided by `timeScale`. */
import { z } from 'zod';

export interface FaultRule {
  /** `"<METHOD> <template>"` (e.g. `"PATCH /groups/{id}"`) or `"*"` (default). */
  route?: string;
  kind: '429' | '503' | '504' | 'reset';
  /** The next `times` matching requests fail, then the rule is spent. */
  times: number;
  /** Retry-After to send with 429/503; omitted = no Retry-After header. */
  retryAfterSeconds?: number;
  /** Default `any`; `reset` rules only ever match top-level requests. */
  scope?: 'any' | 'topLevel' | 'batchItem';
}

export interface SandboxKnobs {
  latencyMs: { min: number; max: number };
  timeScale: number;
  throttling: { enabled: boolean; tenantSize: 'auto' | 'S' | 'M' | 'L' };
  eventualConsistencyMs: number;
  faults: FaultRule[];
  /**
   * Application permissions the calling app lacks: routes that need one answer 403 (the sandbox has no consent model;
   * this lets tests see Graph's refusal for a permission that was never granted).
   */
  deniedPermissions: string[];
}

export function defaultKnobs(): SandboxKnobs {
  return {
    latencyMs: { min: 0, max: 0 },
    timeScale: 1,
    throttling: { enabled: true, tenantSize: 'auto' },
    eventualConsistencyMs: 0,
    faults: [],
    deniedPermissions: [],
  };
}

export const faultRuleSchema = z.strictObject({
  route: z.string().min(1).optional(),
  kind: z.enum(['429', '503', '504', 'reset']),
  times: z.number().int().min(0),
  retryAfterSeconds: z.number().min(0).optional(),
  scope: z.enum(['any', 'topLevel', 'batchItem']).optional(),
});

export const knobsPatchSchema = z.strictObject({
  latencyMs: z
    .strictObject({ min: z.number().min(0), max: z.number().min(0) })
    .refine((l) => l.max >= l.min, { message: 'latencyMs.max must be >= latencyMs.min' })
    .optional(),
  timeScale: z.number().positive().optional(),
  throttling: z.strictObject({ enabled: z.boolean(), tenantSize: z.enum(['auto', 'S', 'M', 'L']) }).optional(),
  eventualConsistencyMs: z.number().min(0).optional(),
  faults: z.array(faultRuleSchema).optional(),
  deniedPermissions: z
    .array(z.string().regex(/^[A-Za-z]+(\.[A-Za-z]+)+$/, 'must be a permission such as AuditLog.Read.All'))
    .optional(),
});

export type KnobsPatch = z.infer<typeof knobsPatchSchema>;

/** Shallow merge as the contract says: each given top-level knob replaces the current one (faults replaced). */
export function mergeKnobs(base: SandboxKnobs, patch: Partial<SandboxKnobs>): SandboxKnobs {
  return {
    latencyMs: patch.latencyMs ? { ...patch.latencyMs } : base.latencyMs,
    timeScale: patch.timeScale ?? base.timeScale,
    throttling: patch.throttling ? { ...patch.throttling } : base.throttling,
    eventualConsistencyMs: patch.eventualConsistencyMs ?? base.eventualConsistencyMs,
    faults: patch.faults ? patch.faults.map((f) => ({ ...f })) : base.faults,
    deniedPermissions: patch.deniedPermissions ? [...patch.deniedPermissions] : base.deniedPermissions,
  };
}
