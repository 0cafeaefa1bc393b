/**
 * Job management use cases (create, replace, get, list, delete) and the run queries. Group names are resolved to ids
 * once, here, so a later rename cannot redirect a job; a name that matches no group or several is refused with the
 * candidates.
 */

import { AppError, badRequest, conflict, notFound } from '../errors';
import { isGuid } from '../ids';
import { targetProblems, targetWarnings } from './guardrails';
import { type ResolvedSource, type SyncJob, type SyncJobInput, type SyncRun } from './jobModel';
import type { GroupDirectory, GroupInfo, JobRepository, JobStateCleanup, RunRecords, ScheduleStore } from './ports';

/** What saving a job needs: the jobs, the directory to resolve group names, a clock and ids. */
export interface JobDeps {
  readonly jobs: JobRepository;
  readonly directory: GroupDirectory;
  readonly now: () => Date;
  readonly newId: () => string;
}

type Role = 'target' | 'source' | 'exclude';

async function resolveGroup(directory: GroupDirectory, ref: string, role: Role): Promise<GroupInfo> {
  if (isGuid(ref)) {
    const group = await directory.getGroup(ref.toLowerCase());
    if (!group) throw badRequest('SYNC_GROUP_NOT_FOUND', `No group has the id ${ref} (${role})`, { role, group: ref });
    return group;
  }
  const candidates = await directory.findByDisplayName(ref);
  if (candidates.length === 0) {
    throw badRequest(
      'SYNC_GROUP_NOT_FOUND',
      `No group is named exactly '${ref}' (${role}); give its id or its exact display name`,
      {
        role,
        group: ref,
        candidates: [],
      },
    );
  }
  if (candidates.length > 1) {
    throw badRequest(
      'SYNC_GROUP_AMBIGUOUS',
      `${candidates.length} groups are named '${ref}' (${role}); give the id of the one you mean`,
      {
        role,
        group: ref,
        candidates,
      },
    );
  }
  const only = candidates[0] as (typeof candidates)[number];
  const group = await directory.getGroup(only.id);
  if (!group)
    throw badRequest('SYNC_GROUP_NOT_FOUND', `Group '${ref}' (${only.id}) disappeared while the job was saved (${role})`, {
      role,
    });
  return group;
}

/** Does writing `target` from `sources` close a loop through the other jobs (A feeds B feeds A)? */
function loopThrough(others: readonly SyncJob[], target: string, sources: readonly string[]): string[] | undefined {
  const feeds = new Map<string, SyncJob[]>();
  for (const job of others) for (const s of job.sources) feeds.set(s.group, [...(feeds.get(s.group) ?? []), job]);
  const queue: { group: string; path: string[] }[] = [{ group: target, path: [] }];
  const seen = new Set<string>([target]);
  while (queue.length > 0) {
    const { group, path } = queue.shift() as { group: string; path: string[] };
    for (const job of feeds.get(group) ?? []) {
      const nextPath = [...path, job.jobId];
      if (sources.includes(job.target)) return nextPath;
      if (!seen.has(job.target)) {
        seen.add(job.target);
        queue.push({ group: job.target, path: nextPath });
      }
    }
  }
  return undefined;
}

/**
 * Graph v1.0 `GET /groups/{id}/members` does not list service principals (a documented known issue) while delta
 * reports them, so a job syncing them would see them only after a delta round and drop them on every full read. The
 * documented workarounds do not fit a sync: `$expand=members` returns at most 20 members and beta is not for
 * production. Refused at save time, before anything runs.
 */
function refuseUnreadableMemberTypes(input: SyncJobInput): void {
  if (!input.memberTypes.includes('servicePrincipal')) return;
  throw badRequest(
    'SYNC_MEMBER_TYPE_UNSUPPORTED',
    "memberTypes 'servicePrincipal' is not supported: Microsoft Graph v1.0 does not list service principals as group members " +
      '(a known issue of List group members), so a sync could not see them reliably. Remove it; sync user, group or device members.',
    { memberType: 'servicePrincipal', supported: ['user', 'group', 'device'] },
  );
}

interface ResolvedGroups {
  readonly target: GroupInfo;
  readonly sources: readonly GroupInfo[];
  readonly exclude: readonly GroupInfo[];
}

async function resolveGroups(directory: GroupDirectory, input: SyncJobInput): Promise<ResolvedGroups> {
  const [target, sources, exclude] = await Promise.all([
    resolveGroup(directory, input.target, 'target'),
    Promise.all(input.sources.map((s) => resolveGroup(directory, s.group, 'source'))),
    Promise.all(input.exclude.map((e) => resolveGroup(directory, e.group, 'exclude'))),
  ]);
  return { target, sources, exclude };
}

/** A job cannot feed its target into itself, list a source twice, or exclude its own target. */
function refuseSelfReference({ target, sources, exclude }: ResolvedGroups): void {
  const sourceIds = sources.map((s) => s.id);
  if (sourceIds.includes(target.id)) {
    throw badRequest(
      'SYNC_TARGET_IS_SOURCE',
      `Target '${target.displayName}' (${target.id}) is also a source: a job cannot feed a group into itself`,
    );
  }
  if (new Set(sourceIds).size !== sourceIds.length) {
    throw badRequest(
      'SYNC_DUPLICATE_SOURCE',
      'The same group is listed twice in sources (it may be given once by id and once by name)',
    );
  }
  if (exclude.some((e) => e.id === target.id)) {
    throw badRequest('SYNC_TARGET_IS_EXCLUDED', `Target '${target.displayName}' (${target.id}) is also an exclude group`);
  }
}

/** The target's warnings; a target that cannot be written refuses an enabled job and warns on a disabled one. */
function targetNotes(target: GroupInfo, enabled: boolean): string[] {
  const warnings = targetWarnings(target);
  const problems = targetProblems(target);
  if (problems.length > 0 && enabled) {
    throw badRequest('SYNC_TARGET_NOT_WRITABLE', problems.map((p) => p.message).join(' '), { target: target.id, problems });
  }
  // A disabled job may name a target that cannot be written yet (the memberOf import: convert the group, then enable).
  return [...warnings, ...problems.map((p) => `${p.message} The job stays disabled until that is fixed.`)];
}

/** Another job writing the same target, or membership flowing in a loop through other jobs, is refused. */
function refuseClashes(others: readonly SyncJob[], target: GroupInfo, sourceIds: readonly string[]): void {
  const rival = others.find((j) => j.target === target.id);
  if (rival) {
    throw conflict(
      'SYNC_TARGET_IN_USE',
      `Job '${rival.name}' (${rival.jobId}) already writes target '${target.displayName}'; two jobs on one target would undo each other`,
      { jobId: rival.jobId },
    );
  }
  const loop = loopThrough(others, target.id, sourceIds);
  if (loop) {
    throw conflict('SYNC_JOB_LOOP', `With this job, membership would flow in a loop through job(s) ${loop.join(' -> ')}`, {
      jobs: loop,
    });
  }
}

interface JobBase {
  readonly jobId: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

async function buildJob(deps: JobDeps, input: SyncJobInput, base: JobBase, actor: string): Promise<SyncJob> {
  refuseUnreadableMemberTypes(input);
  const groups = await resolveGroups(deps.directory, input);
  refuseSelfReference(groups);
  const warnings = targetNotes(groups.target, input.enabled);
  const others = (await deps.jobs.list()).filter((j) => j.jobId !== base.jobId);
  refuseClashes(
    others,
    groups.target,
    groups.sources.map((s) => s.id),
  );
  return assembleJob(input, groups, warnings, base, { actor, at: deps.now().toISOString() });
}

/** The stored job: groups by id with the names they had when saved. */
function assembleJob(
  input: SyncJobInput,
  { target, sources, exclude }: ResolvedGroups,
  warnings: readonly string[],
  base: JobBase,
  updated: { readonly actor: string; readonly at: string },
): SyncJob {
  const toRef = (g: GroupInfo, transitive: boolean): ResolvedSource => ({ group: g.id, displayName: g.displayName, transitive });
  return {
    jobId: base.jobId,
    name: input.name,
    target: target.id,
    targetName: target.displayName,
    sources: sources.map((g, i) => toRef(g, input.sources[i]?.transitive ?? false)),
    exclude: exclude.map((g, i) => toRef(g, input.exclude[i]?.transitive ?? true)),
    mode: input.mode,
    memberTypes: input.memberTypes,
    userType: input.userType,
    includeDisabled: input.includeDisabled,
    protected: [...new Set(input.protected)],
    limits: input.limits,
    ...(input.schedule !== undefined ? { schedule: input.schedule } : {}),
    enabled: input.enabled,
    warnings: [...warnings],
    createdAt: base.createdAt,
    updatedAt: updated.at,
    createdBy: base.createdBy,
    updatedBy: updated.actor,
  };
}

export async function createJob(deps: JobDeps, input: SyncJobInput, actor: string): Promise<SyncJob> {
  const now = deps.now().toISOString();
  const job = await buildJob(deps, input, { jobId: deps.newId(), createdAt: now, createdBy: actor }, actor);
  await deps.jobs.create(job);
  return job;
}

export async function replaceJob(deps: JobDeps, jobId: string, input: SyncJobInput, actor: string): Promise<SyncJob> {
  const existing = await deps.jobs.get(jobId);
  if (!existing) throw notFound('SYNC_JOB_NOT_FOUND', `No sync job with id ${jobId}`);
  const job = await buildJob(deps, input, existing.job, actor);
  if (!(await deps.jobs.replace(job, existing.etag))) {
    throw new AppError('SYNC_JOB_CHANGED', `Job ${jobId} was changed by someone else while saving; read it again and retry`, 412);
  }
  return job;
}

/** The job, with the id of its latest run (started by HTTP or the timer) when it has run. */
export async function getJob(
  deps: { readonly jobs: Pick<JobRepository, 'get'>; readonly schedules: Pick<ScheduleStore, 'getScheduleState'> },
  jobId: string,
): Promise<SyncJob & { lastRunId?: string }> {
  const record = await deps.jobs.get(jobId);
  if (!record) throw notFound('SYNC_JOB_NOT_FOUND', `No sync job with id ${jobId}`);
  const lastRunId = (await deps.schedules.getScheduleState(jobId))?.lastRunId;
  return lastRunId === undefined ? record.job : { ...record.job, lastRunId };
}

/** A run record, also while the run is in progress (`running`). */
export async function getRun(deps: { readonly runs: Pick<RunRecords, 'getRun'> }, runId: string): Promise<SyncRun> {
  const run = await deps.runs.getRun(runId);
  if (!run) throw notFound('SYNC_RUN_NOT_FOUND', `No sync run with id ${runId}`);
  return run;
}

export async function listJobs(deps: { readonly jobs: Pick<JobRepository, 'list'> }): Promise<SyncJob[]> {
  return (await deps.jobs.list()).sort((a, b) => a.name.localeCompare(b.name) || a.jobId.localeCompare(b.jobId));
}

/** Deletes the job and the state its runs kept (snapshots, ledger, lease, schedule); run records stay as history. */
export async function deleteJob(
  deps: { readonly jobs: Pick<JobRepository, 'delete'>; readonly cleanup: JobStateCleanup },
  jobId: string,
): Promise<void> {
  if (!(await deps.jobs.delete(jobId))) throw notFound('SYNC_JOB_NOT_FOUND', `No sync job with id ${jobId}`);
  await deps.cleanup.deleteJobState(jobId);
}
