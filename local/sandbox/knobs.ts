/** Behaviour knobs (table in local/sandbox/README.md). Every sandbox duration is divided by `timeScale`. */
import { z } from 'zod';

export interface FaultRule {
  /** `"<METHOD> <template>"` (e.g. `"PATCH /groups/{id}"`) or `"*"` (default). */
  route?: string;
  kind: '401' | '403' | '429' | '500' | '502' | '503' | '504' | 'reset';
  /** The next `times` matching requests fail (with `rate`: at most `times` faults), then the rule is spent. */
  times: number;
  /**
   * A storm: each matching request fails with this probability (0–1) instead of every one, drawn from a PRNG seeded
   * with `faultSeed`. Storm rules share one draw per request, so their rates add up.
   */
  rate?: number;
  /** Retry-After to send with 429/503; omitted = no Retry-After header. */
  retryAfterSeconds?: number;
  /** Default `any`. A `reset` on a `$batch` item drops the connection of the whole `$batch`, after every item ran. */
  scope?: 'any' | 'topLevel' | 'batchItem';
  /**
   * Default `before`: the request fails without effect. `after`: the request is applied, then its response is lost
   * (503/504/reset after the write, as when a gateway times out on a write the directory completed).
   */
  when?: 'before' | 'after';
}

export interface SandboxKnobs {
  latencyMs: { min: number; max: number };
  timeScale: number;
  throttling: { enabled: boolean; tenantSize: 'auto' | 'S' | 'M' | 'L' };
  eventualConsistencyMs: number;
  faults: FaultRule[];
  /** Seed of the draws of storm rules (`rate`); the same seed and request order give the same faults. */
  faultSeed: number;
  /** How an expired or unknown `groups/delta` token is answered: 410 Gone (documented) or 400 (seen from directory delta). */
  expiredDeltaToken: '410' | '400';
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
    faultSeed: 1,
    expiredDeltaToken: '410',
    deniedPermissions: [],
  };
}

export const faultRuleSchema = z.strictObject({
  route: z.string().min(1).optional(),
  kind: z.enum(['401', '403', '429', '500', '502', '503', '504', 'reset']),
  times: z.number().int().min(0),
  retryAfterSeconds: z.number().min(0).optional(),
  rate: z.number().gt(0).max(1).optional(),
  scope: z.enum(['any', 'topLevel', 'batchItem']).optional(),
  when: z.enum(['before', 'after']).optional(),
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
  faultSeed: z.number().int().min(0).max(4294967295).optional(),
  expiredDeltaToken: z.enum(['410', '400']).optional(),
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
    faultSeed: patch.faultSeed ?? base.faultSeed,
    expiredDeltaToken: patch.expiredDeltaToken ?? base.expiredDeltaToken,
    deniedPermissions: patch.deniedPermissions ? [...patch.deniedPermissions] : base.deniedPermissions,
  };
}
