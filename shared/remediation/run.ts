/**
 * Approved actions run here, one subject (ticket or user) at a time and in approval order: a lease per subject, a
 * sequence number per request. Same idempotency key, same request: a redelivered approval never runs twice.
 * Order of one request: read the user now (not from the ticket), pre-flight, act, record, audit, write back.
 */

import type { AuditSink } from '../audit';
import type { Logger } from '../log';
import { TapRefused } from '../tap/issue';
import { ACTION_SPECS } from './actions';
import { executeAction, type ExecuteDeps } from './execute';
import { outcomeNote } from './note';
import {
  DirectoryFailure,
  type NewRequest,
  type Outcome,
  type RemediationQueue,
  type RemediationStore,
  type RemediationTicketNotes,
  type RequestState,
  type StoredRequest,
  type UserDirectory,
} from './ports';
import { preflight, type PreflightSettings } from './preflight';

export interface RunSettings extends PreflightSettings {
  readonly leaseMs: number;
  /** Attempts for idempotent actions that meet a throttled or unavailable Graph before they are reported failed. */
  readonly maxAttempts: number;
  /** Where retrieval links in ticket notes point (the app's public base URL). */
  readonly publicBaseUrl: string;
}

export interface RunDeps extends ExecuteDeps {
  readonly users: UserDirectory;
  readonly store: RemediationStore;
  readonly queue: RemediationQueue;
  readonly tickets?: RemediationTicketNotes;
  readonly audit: AuditSink;
  readonly settings: RunSettings;
  readonly log: Logger;
}

type Step = 'done' | 'retryLater';

const retryDelaySeconds = (attempts: number): number => Math.min(15 * 2 ** Math.max(0, attempts - 1), 900);

async function finish(
  deps: RunDeps,
  request: StoredRequest,
  state: Exclude<RequestState, 'queued' | 'running'>,
  outcome: Omit<Outcome, 'completedAt'>,
): Promise<Step> {
  const done: Outcome = { ...outcome, completedAt: deps.now().toISOString() };
  const noteState = request.ticket ? 'pending' : undefined;
  await deps.store.update(request.subject, request.requestId, {
    state,
    outcome: done,
    ...(noteState ? { writeBack: noteState } : {}),
  });
  await deps.audit.write([
    {
      action: `remediation.${request.action}`,
      outcome: state === 'succeeded' ? 'succeeded' : state === 'refused' ? 'blocked' : 'failed',
      actor: request.approvedBy,
      target: request.userId,
      job: 'remediation',
      runId: request.requestId,
      reason: request.reason,
      details: {
        source: request.source,
        ...(request.ticket ? { ticketId: request.ticket.ticketId, provider: request.ticket.provider } : {}),
        ...(done.code ? { code: done.code } : {}),
        message: done.message,
      },
    },
  ]);
  deps.log.info({ requestId: request.requestId, action: request.action, state, errorCode: done.code }, 'remediation finished');
  if (request.ticket) await writeBack(deps, { ...request, state, outcome: done, writeBack: 'pending' });
  return 'done';
}

/** Posts the outcome to the ticket; when the ticket system is down the note waits in the write-back queue. */
export async function writeBack(deps: RunDeps, request: StoredRequest): Promise<boolean> {
  if (!request.ticket || request.writeBack !== 'pending') return true;
  if (!deps.tickets) {
    deps.log.warn({ requestId: request.requestId }, 'remediation: no ticket provider to write back to');
    return false;
  }
  try {
    await deps.tickets.addNote(request.ticket, {
      noteId: `remediation:${request.requestId}`,
      text: outcomeNote(request, deps.settings.publicBaseUrl),
    });
    await deps.store.update(request.subject, request.requestId, { writeBack: 'done' });
    return true;
  } catch (err) {
    deps.log.warn({ requestId: request.requestId, err }, 'remediation: ticket write-back failed; queued');
    await deps.queue.writeBackLater(request.subject, request.requestId, 30);
    return false;
  }
}

function failureOutcome(request: StoredRequest, err: DirectoryFailure): Omit<Outcome, 'completedAt'> {
  const spec = ACTION_SPECS[request.action];
  switch (err.kind) {
    case 'forbidden':
      return {
        code: 'GRAPH_PERMISSION_MISSING',
        message: `Graph refused ${request.action} (403${err.code ? ` ${err.code}` : ''}): the app's identity lacks ${spec.permission} or the directory role this user needs.`,
        fix: `Grant the Graph application permission ${spec.permission} (infra/grant-graph-permissions.sh), and for admins the Privileged Authentication Administrator role.`,
      };
    case 'notFound':
      return { code: 'USER_NOT_FOUND', message: `The user no longer exists (deleted since the ticket opened): ${err.message}` };
    case 'rejected':
      return { code: 'GRAPH_REJECTED', message: `Graph rejected ${request.action}: ${err.message}` };
    default:
      return spec.idempotent
        ? {
            code: 'GRAPH_UNAVAILABLE',
            message: `Graph kept failing (${err.message}); gave up after ${request.attempts} attempts.`,
          }
        : {
            code: 'GRAPH_UNAVAILABLE_OUTCOME_UNKNOWN',
            message: `Graph failed during ${request.action} (${err.message}). It is not retried automatically because a second run would hand out a new secret nobody approved; check the user and approve again if needed.`,
          };
  }
}

async function runOne(deps: RunDeps, request: StoredRequest): Promise<Step> {
  const spec = ACTION_SPECS[request.action];
  const user = await deps.users.findUser(request.userId);
  if (!user)
    return finish(deps, request, 'failed', {
      code: 'USER_NOT_FOUND',
      message: 'The user no longer exists (deleted since the ticket opened).',
    });
  const p2 = spec.needsP2 ? await deps.users.hasP2(user.id) : true;
  const refusal = preflight(request.action, user, deps.settings, { p2 });
  if (refusal) return finish(deps, request, 'refused', { code: refusal.code, message: refusal.message, fix: refusal.fix });
  if (!spec.idempotent) {
    await deps.store.update(request.subject, request.requestId, { actionStartedAt: deps.now().toISOString() });
  }
  const result = await executeAction(deps, request.action, user);
  return finish(deps, request, 'succeeded', {
    message: result.message,
    signInAfter: spec.signInAfter,
    ...(result.retrievalId ? { retrievalId: result.retrievalId, retrievalExpiresAt: result.retrievalExpiresAt } : {}),
  });
}

async function attempt(deps: RunDeps, queued: StoredRequest): Promise<Step> {
  const spec = ACTION_SPECS[queued.action];
  // A request found `running` was interrupted (its runner died): re-run only what is safe to run twice, or what
  // never reached its Graph write.
  if (queued.state === 'running' && !spec.idempotent && queued.actionStartedAt !== undefined) {
    return finish(deps, queued, 'failed', {
      code: 'REMEDIATION_INTERRUPTED',
      message: `The run of ${queued.action} was interrupted and its effect is unknown; it is not re-run because it hands out a secret. Check the user and approve again if needed.`,
    });
  }
  const request: StoredRequest = { ...queued, state: 'running', attempts: queued.attempts + 1 };
  await deps.store.update(request.subject, request.requestId, { state: 'running', attempts: request.attempts });
  try {
    return await runOne(deps, request);
  } catch (err) {
    if (err instanceof TapRefused) {
      return finish(deps, request, 'refused', { code: err.code, message: err.message, fix: `Change ${err.refusal.setting}.` });
    }
    if (!(err instanceof DirectoryFailure)) throw err;
    const transient = err.kind === 'throttled' || err.kind === 'unavailable';
    if (transient && spec.idempotent && request.attempts < deps.settings.maxAttempts) {
      const delay = retryDelaySeconds(request.attempts);
      await deps.store.update(request.subject, request.requestId, {
        state: 'queued',
        retryAt: new Date(deps.now().getTime() + delay * 1000).toISOString(),
      });
      await deps.queue.drainLater(request.subject, delay);
      deps.log.warn({ requestId: request.requestId, kind: err.kind, delay }, 'remediation: Graph unavailable; retry queued');
      return 'retryLater';
    }
    return finish(deps, request, 'failed', failureOutcome(request, err));
  }
}

export type DrainResult = 'drained' | 'busy' | 'waiting';

/** Runs the subject's unfinished requests in order under its lease; later requests wait behind a retrying one. */
export async function drain(deps: RunDeps, subject: string, owner: string): Promise<DrainResult> {
  for (let round = 0; round < 5; round++) {
    if (!(await deps.store.claim(subject, owner, deps.settings.leaseMs, deps.now()))) {
      // The holder re-checks after releasing; this message is the safety net if the holder dies.
      await deps.queue.drainLater(subject, Math.ceil(deps.settings.leaseMs / 1000));
      return 'busy';
    }
    let waiting = false;
    try {
      for (const request of await deps.store.unfinished(subject)) {
        if (request.retryAt && Date.parse(request.retryAt) > deps.now().getTime()) {
          waiting = true;
          break;
        }
        if ((await attempt(deps, request)) === 'retryLater') {
          waiting = true;
          break;
        }
        await deps.store.claim(subject, owner, deps.settings.leaseMs, deps.now());
      }
    } finally {
      await deps.store.release(subject, owner);
    }
    if (waiting) return 'waiting';
    if ((await deps.store.unfinished(subject)).length === 0) return 'drained';
  }
  await deps.queue.drainLater(subject, 1);
  return 'waiting';
}

/** Records the request (or finds the one with the same idempotency key) and runs the subject's queue now. */
export async function submit(
  deps: RunDeps,
  request: NewRequest,
  owner: string,
): Promise<{ readonly request: StoredRequest; readonly created: boolean; readonly drain: DrainResult | 'skipped' }> {
  const recorded = await deps.store.record(request);
  if (!recorded.created && recorded.request.state !== 'queued' && recorded.request.state !== 'running') {
    // A runner that died between recording the outcome and noting it on the ticket leaves the note pending with
    // nothing queued; the ticket system's redelivery of the approval is what finishes it.
    if (recorded.request.writeBack === 'pending') await writeBack(deps, recorded.request);
    const latest = (await deps.store.get(request.subject, recorded.request.requestId)) ?? recorded.request;
    return { request: latest, created: false, drain: 'skipped' };
  }
  const result = await drain(deps, request.subject, owner);
  const latest = (await deps.store.get(request.subject, recorded.request.requestId)) ?? recorded.request;
  return { request: latest, created: recorded.created, drain: result };
}
