import { z } from 'zod';

import { scheduleProblem } from './schedule';

/**
 * The group sync job: what callers send (`jobInputSchema`), what is stored (`SyncJob`, groups resolved to ids once at
 * save time) and what a run records (`SyncRun`). Unknown fields are refused so a typo such as `"protect"` cannot
 * silently drop a safety setting.
 */
export const MEMBER_TYPES = ['user', 'group', 'device', 'servicePrincipal'] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];
export type SyncMode = 'additive' | 'mirror';
export type UserTypeFilter = 'Member' | 'Guest' | 'any';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string): boolean => GUID.test(s);

const guid = z
  .string()
  .trim()
  .regex(GUID, 'must be an object id (GUID)')
  .transform((s) => s.toLowerCase());
/** A group id, or its exact display name (resolved once, when the job is saved). */
const groupRef = z.string().trim().min(1, 'must be a group id or display name').max(256);
const count = z.number().int().min(0).max(10_000_000);

const unique = <T>(items: readonly T[]) => new Set(items).size === items.length;

export const jobInputSchema = z
  .object({
    name: z.string().trim().min(1).max(128),
    target: groupRef,
    sources: z
      .array(z.object({ group: groupRef, transitive: z.boolean().default(false) }).strict())
      .min(1, 'needs at least one source group')
      .max(50),
    exclude: z
      .array(z.object({ group: groupRef, transitive: z.boolean().default(true) }).strict())
      .max(50)
      .default([]),
    mode: z.enum(['additive', 'mirror']).default('additive'),
    memberTypes: z.array(z.enum(MEMBER_TYPES)).min(1).refine(unique, 'must not repeat a member type').default(['user']),
    userType: z.enum(['Member', 'Guest', 'any']).default('any'),
    includeDisabled: z.boolean().default(false),
    protected: z.array(guid).max(1000).default([]),
    limits: z
      .object({
        maxAdds: count.optional(),
        maxRemovals: count.optional(),
        maxRemovalPercent: z.number().min(0).max(100).optional(),
      })
      .strict()
      .default({}),
    schedule: z
      .string()
      .trim()
      .superRefine((s, ctx) => {
        const problem = scheduleProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .transform((job) => withDefaultRemovalLimit(job));

/**
 * A mirror job removes whatever is not in the desired set, so a source read that comes back empty or a wrong
 * source would empty the target. Without an explicit removal limit it gets this one (a run over it applies nothing
 * and says why); set `limits.maxRemovals` or `limits.maxRemovalPercent` (100 = no limit) to choose another.
 */
export const DEFAULT_MIRROR_MAX_REMOVAL_PERCENT = 20;

function withDefaultRemovalLimit<T extends { mode: 'additive' | 'mirror'; limits: SyncLimits }>(job: T): T {
  if (job.mode !== 'mirror' || job.limits.maxRemovals !== undefined || job.limits.maxRemovalPercent !== undefined) return job;
  return { ...job, limits: { ...job.limits, maxRemovalPercent: DEFAULT_MIRROR_MAX_REMOVAL_PERCENT } };
}

export type SyncJobInput = z.output<typeof jobInputSchema>;

export interface ResolvedSource {
  readonly group: string;
  readonly displayName: string;
  readonly transitive: boolean;
}

export interface SyncLimits {
  readonly maxAdds?: number;
  readonly maxRemovals?: number;
  readonly maxRemovalPercent?: number;
}

export interface SyncJob {
  readonly jobId: string;
  readonly name: string;
  readonly target: string;
  readonly targetName: string;
  readonly sources: readonly ResolvedSource[];
  readonly exclude: readonly ResolvedSource[];
  readonly mode: SyncMode;
  readonly memberTypes: readonly MemberType[];
  readonly userType: UserTypeFilter;
  readonly includeDisabled: boolean;
  readonly protected: readonly string[];
  readonly limits: SyncLimits;
  readonly schedule?: string;
  readonly enabled: boolean;
  readonly warnings: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
  readonly updatedBy: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'blocked' | 'partial';

export interface RunError {
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

export interface RunGroupRef {
  readonly id: string;
  readonly displayName: string;
  /** How this run read the group: a full paged read or a delta round. */
  readonly read?: 'full' | 'delta';
  readonly memberCount?: number;
}

export interface SyncRun {
  readonly runId: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly dryRun: boolean;
  readonly status: RunStatus;
  readonly trigger: 'http' | 'timer';
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly mode: SyncMode;
  readonly target: RunGroupRef;
  readonly sources: readonly RunGroupRef[];
  readonly exclude: readonly RunGroupRef[];
  readonly plan: { readonly add: readonly string[]; readonly remove: readonly string[] };
  readonly counts: {
    readonly desired: number;
    readonly current: number;
    readonly added: number;
    readonly removed: number;
    readonly unchanged: number;
    readonly failed: number;
  };
  readonly graphRequests: {
    readonly httpCalls: number;
    readonly subRequests: number;
    readonly throttled: number;
    readonly retries: number;
  };
  readonly errors: readonly RunError[];
  /** Why a `blocked` run applied nothing: each limit it would have exceeded. */
  readonly blockedBy?: readonly { readonly limit: keyof SyncLimits; readonly allowed: number; readonly planned: number }[];
  readonly warnings: readonly string[];
}

/** Path and query parameters of the sync routes. */
export const jobIdParams = z.object({ jobId: z.string().regex(GUID, 'must be a job id (GUID)') });
export const runIdParams = z.object({ runId: z.string().regex(GUID, 'must be a run id (GUID)') });
export const dryRunQuery = z.object({
  dryRun: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
});
