/**
 * Real Azurite and the Graph sandbox (demo tenant) over HTTP for one test file, with process.env pointing the app's
 * services at them; handlers are called with real HttpRequest/InvocationContext objects, as the Functions host builds them.
 */

import { type HttpHandler, HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

import { type SandboxKnobs } from '../../local/sandbox';
import { AppError } from '../../shared/errors';
import { type Services } from '../../shared/runtime/services';
import { runSyncJob } from '../../shared/runtime/syncJob';
import type { SyncRun } from '../../shared/sync/jobModel';
import { type AppStack, stackSettings, useAppStack } from '../helpers/appStack';
import { eventually } from '../helpers/host';

export type Harness = AppStack;

export function useSyncHarness(): { readonly current: Harness } {
  return useAppStack((stack) => ({
    harness: stack,
    env: { ...stackSettings(stack, 'sync-tests'), GRAPH_MAX_BACKOFF_MS: '200', LOG_LEVEL: 'silent' },
  }));
}

export interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
}

export async function call(
  handler: HttpHandler,
  options: CallOptions = {},
): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } } }> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const request = new HttpRequest({
    method: options.method ?? 'GET',
    url: `http://localhost/api/sync${query ? `?${query}` : ''}`,
    headers: text === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' },
    params: options.params ?? {},
    ...(text === undefined ? {} : { body: { string: text } }),
  });
  const context = new InvocationContext({ invocationId: 'test', functionName: 'sync' });
  const res: HttpResponseInit = await handler(request, context);
  return { status: res.status ?? 200, body: (res.jsonBody ?? {}) as Record<string, unknown> };
}

async function sandboxFetch(
  h: Harness,
  path: string,
  init: { method?: string; body?: unknown; auth?: boolean } = {},
): Promise<unknown> {
  const res = await fetch(`${h.sandbox.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.auth === false ? {} : { authorization: 'Bearer test-admin' }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} -> ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Direct members of a group, read from the sandbox as an admin would. */
export async function membersOf(h: Harness, groupId: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = `/v1.0/groups/${groupId}/members?$select=id&$top=999`;
  while (next) {
    const page = (await sandboxFetch(h, next)) as { value: { id: string }[]; '@odata.nextLink'?: string };
    ids.push(...page.value.map((m) => m.id));
    next = page['@odata.nextLink']?.slice(h.sandbox.url.length);
  }
  return ids.sort();
}

export const graphAdmin = {
  addMember: (h: Harness, groupId: string, memberId: string) =>
    sandboxFetch(h, `/v1.0/groups/${groupId}/members/$ref`, {
      method: 'POST',
      body: { '@odata.id': `${h.sandbox.url}/v1.0/directoryObjects/${memberId}` },
    }),
  removeMember: (h: Harness, groupId: string, memberId: string) =>
    sandboxFetch(h, `/v1.0/groups/${groupId}/members/${memberId}/$ref`, { method: 'DELETE' }),
  deleteGroup: (h: Harness, groupId: string) => sandboxFetch(h, `/v1.0/groups/${groupId}`, { method: 'DELETE' }),
  createGroup: (h: Harness, displayName: string) =>
    sandboxFetch(h, '/v1.0/groups', {
      method: 'POST',
      body: { displayName, mailEnabled: false, mailNickname: displayName.replace(/\W/g, ''), securityEnabled: true },
    }) as Promise<{
      id: string;
    }>,
  tenant: (h: Harness) => sandboxFetch(h, '/_sandbox/tenant', { auth: false }) as Promise<TenantJson>,
  reset: (h: Harness) => sandboxFetch(h, '/_sandbox/reset', { method: 'POST', auth: false }),
  knobs: (h: Harness, knobs: Partial<SandboxKnobs>) =>
    sandboxFetch(h, '/_sandbox/knobs', { method: 'POST', body: knobs, auth: false }),
  stats: (h: Harness) =>
    sandboxFetch(h, '/_sandbox/stats', { auth: false }) as Promise<{
      requests: number;
      subRequests: number;
      throttled: number;
      byRoute: Record<string, number>;
      byRouteInBatch: Record<string, number>;
    }>,
};

export interface TenantJson {
  users: { id: string; userType: string; accountEnabled: boolean }[];
  groups: { id: string; displayName: string; members: string[] }[];
}

/** Runs the job as soon as the lease of a dead run has expired (retrying while it answers SYNC_RUN_IN_PROGRESS). */
export function runOnceLeaseExpires(services: Services, jobId: string, timeoutMs = 30_000): Promise<SyncRun> {
  return eventually(
    'the dead run lease to expire',
    async () => {
      try {
        return await runSyncJob(services, jobId, { dryRun: false, actor: 'test', trigger: 'http' });
      } catch (err) {
        if (err instanceof AppError && err.code === 'SYNC_RUN_IN_PROGRESS') return undefined;
        throw err;
      }
    },
    timeoutMs,
  );
}

/** Sets sandbox knobs (latency, faults, ...) for the following requests. */
export async function setKnobs(h: Harness, knobs: Partial<SandboxKnobs>): Promise<void> {
  const res = await fetch(`${h.sandbox.url}/_sandbox/knobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(knobs),
  });
  if (!res.ok) throw new Error(`knobs: ${res.status} ${await res.text()}`);
}
