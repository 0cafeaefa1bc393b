/**
 * JSON batching (https://learn.microsoft.com/graph/json-batching): at most 20 requests per `$batch` call, items
 * correlated by id (the response order is not the request order), `dependsOn` chains kept in one call, and items
 * throttled inside a 200 batch (status 429/503/504 with their own Retry-After) sent again in a new batch after the
 * longest Retry-After. Graph's SDKs do not retry those items; this module does.
 */

import { GraphError, parseGraphErrorBody } from './errors';
import { isRetryableStatus, isSafeToRepeat, parseRetryAfter } from './retry';
import type { BatchItem, BatchItemResult, GraphMethod } from './types';
import { batchItemUrl } from './urls';

export const MAX_BATCH_ITEMS = 20;

/** One item as sent on the wire (`requests[]` of the `$batch` body). */
export interface BatchWireRequest {
  readonly id: string;
  readonly method: GraphMethod;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly dependsOn?: readonly string[];
}

/** One item of the `$batch` response (`responses[]`), headers lower-cased. */
export interface BatchWireResponse {
  readonly id: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface PreparedItem {
  readonly index: number;
  readonly id: string;
  readonly method: GraphMethod;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
  readonly safeToRepeat: boolean;
}

const invalid = (message: string): GraphError =>
  new GraphError({ kind: 'invalidRequest', route: '/$batch', method: 'POST', message });

/** Assigns ids (`"1"`, `"2"`, ... by position, skipping ids the caller used), validates ids and dependencies. */
export function prepareItems(items: readonly BatchItem[], baseUrl: string): PreparedItem[] {
  const given = new Set<string>();
  for (const item of items) {
    if (item.id === undefined) continue;
    if (item.id === '') throw invalid('Batch item ids must not be empty');
    if (given.has(item.id)) throw invalid(`Batch item id "${item.id}" is used twice`);
    given.add(item.id);
  }
  const used = new Set(given);
  const prepared = items.map((item, index): PreparedItem => {
    let id = item.id;
    if (id === undefined) {
      id = String(index + 1);
      for (let k = 2; used.has(id); k++) id = `${index + 1}-${k}`;
      used.add(id);
    }
    const headers =
      item.body !== undefined && !Object.keys(item.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
        ? { ...item.headers, 'Content-Type': 'application/json' }
        : item.headers;
    return {
      index,
      id,
      method: item.method,
      url: batchItemUrl(baseUrl, item.path),
      ...(item.body === undefined ? {} : { body: item.body }),
      ...(headers === undefined ? {} : { headers }),
      dependsOn: [...(item.dependsOn ?? [])],
      safeToRepeat: isSafeToRepeat(item.method, item.idempotent),
    };
  });
  for (const item of prepared) {
    for (const dep of item.dependsOn) {
      if (dep === item.id) throw invalid(`Batch item "${item.id}" depends on itself`);
      if (!used.has(dep)) throw invalid(`Batch item "${item.id}" depends on unknown item "${dep}"`);
    }
  }
  assertAcyclic(prepared);
  assertOneDependency(prepared);
  return prepared;
}

/**
 * A call that uses `dependsOn` must be fully sequential: every item but the first depends on an earlier one. With at
 * most one dependency per item, linked items form trees, and any subset of a tree (the items a retry round sends
 * again) splits into trees with one root each, so every call stays fully sequential in retry rounds too.
 */
function assertOneDependency(items: readonly PreparedItem[]): void {
  for (const item of items) {
    if (item.dependsOn.length > 1) {
      throw invalid(
        `Batch item "${item.id}" depends on ${item.dependsOn.length} items; Graph needs each call fully sequential, so one dependency per item`,
      );
    }
  }
}

function assertAcyclic(items: readonly PreparedItem[]): void {
  const byId = new Map(items.map((i) => [i.id, i]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') throw invalid(`Batch items have a dependsOn cycle through "${id}"`);
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.dependsOn ?? []) visit(dep);
    state.set(id, 'done');
  };
  for (const item of items) visit(item.id);
}

/**
 * Packs items into `$batch` calls of at most `max`. Graph refuses a batch that mixes `dependsOn` items with independent
 * ones (400 "Batch should be either fully sequential or fully parallel", json-batching.md), so every call is one or
 * the other: items linked by `dependsOn` (a tree with one root, see `prepareItems`) travel alone in one fully
 * sequential call, dependencies first; independent items are packed into fully parallel calls in input order.
 * Dependencies on items not in `items` are ignored (they already succeeded in an earlier round).
 */
export function planChunks(items: readonly PreparedItem[], max = MAX_BATCH_ITEMS): PreparedItem[][] {
  const present = new Map(items.map((item, pos) => [item.id, pos]));
  const parent = items.map((_, pos) => pos);
  const find = (x: number): number => {
    let root = x;
    while (parent[root] !== root) root = parent[root] ?? root;
    for (let cur = x; parent[cur] !== root;) {
      const next = parent[cur] ?? root;
      parent[cur] = root;
      cur = next;
    }
    return root;
  };
  items.forEach((item, pos) => {
    for (const dep of item.dependsOn) {
      const other = present.get(dep);
      if (other !== undefined) parent[find(pos)] = find(other);
    }
  });
  const groups = new Map<number, PreparedItem[]>();
  items.forEach((item, pos) => {
    const root = find(pos);
    const group = groups.get(root) ?? [];
    group.push(item);
    groups.set(root, group);
  });
  const chunks: PreparedItem[][] = [];
  let parallel: PreparedItem[] = [];
  for (const group of groups.values()) {
    if (group.length > max) {
      throw invalid(`${group.length} batch items are linked by dependsOn; one $batch call carries at most ${max}`);
    }
    if (group.length > 1) {
      chunks.push(dependenciesFirst(group));
      continue;
    }
    parallel.push(...group);
    if (parallel.length === max) {
      chunks.push(parallel);
      parallel = [];
    }
  }
  if (parallel.length > 0) chunks.push(parallel);
  return chunks;
}

/**
 * Input order, except that an item never precedes one it depends on: Graph's documented examples list dependencies
 * first and the sandbox rejects a `dependsOn` pointing at a later request, so never rely on forward references.
 */
function dependenciesFirst(chunk: readonly PreparedItem[]): PreparedItem[] {
  const sorted = [...chunk].sort((a, b) => a.index - b.index);
  const byId = new Map(sorted.map((i) => [i.id, i]));
  const placed = new Set<string>();
  const out: PreparedItem[] = [];
  const place = (item: PreparedItem): void => {
    if (placed.has(item.id)) return;
    placed.add(item.id);
    for (const dep of item.dependsOn) {
      const d = byId.get(dep);
      if (d) place(d);
    }
    out.push(item);
  };
  sorted.forEach(place);
  return out;
}

export function toWire(item: PreparedItem, pending: ReadonlySet<string>): BatchWireRequest {
  const dependsOn = item.dependsOn.filter((d) => pending.has(d));
  return {
    id: item.id,
    method: item.method,
    url: item.url,
    ...(item.body === undefined ? {} : { body: item.body }),
    ...(item.headers === undefined ? {} : { headers: item.headers }),
    ...(dependsOn.length === 0 ? {} : { dependsOn }),
  };
}

/** What `runBatch` needs from the gateway. */
export interface BatchRunner {
  /**
   * Sends one `$batch` call (with the gateway's top-level retries; a call carrying an item that is not safe to repeat
   * is not re-sent after a lost response) and returns its item responses.
   */
  send(requests: readonly BatchWireRequest[], signal: AbortSignal, safeToRepeat: boolean): Promise<BatchWireResponse[]>;
  /** The retry policy's delay (Retry-After when given, else jittered backoff), as for top-level requests. */
  delay(retriesSoFar: number, retryAfterMs: number | undefined): number;
  /** Waits before a retry round; rejects with a `GraphError` of kind `deadline` when the wait cannot finish in time. */
  sleep(ms: number): Promise<void>;
  /** Counts items sent again. */
  countRetries(n: number): void;
  readonly maxRetries: number;
  readonly now: () => number;
}

function itemResult<T>(res: BatchWireResponse): BatchItemResult<T> {
  const base = { id: res.id, status: res.status, headers: res.headers, body: res.body as T | undefined };
  if (res.status >= 200 && res.status < 300) return base;
  const parsed = parseGraphErrorBody(res.body);
  return {
    ...base,
    error: parsed
      ? { code: parsed.code, message: parsed.message }
      : {
          code: res.status === 424 ? 'FailedDependency' : `Http${res.status}`,
          message: `Batch item failed with status ${res.status}`,
        },
  };
}

const missing = (id: string): BatchWireResponse => ({
  id,
  status: 502,
  headers: {},
  body: { error: { code: 'BatchItemMissing', message: 'Graph returned no response for this batch item' } },
});

/** Runs all items to their final outcome; results are in input order. */
export async function runBatch<T>(prepared: readonly PreparedItem[], runner: BatchRunner): Promise<BatchItemResult<T>[]> {
  const results: (BatchItemResult<T> | undefined)[] = new Array<BatchItemResult<T> | undefined>(prepared.length);
  const retriesOf = new Map<string, number>();
  let pending: readonly PreparedItem[] = prepared;

  while (pending.length > 0) {
    const pendingIds = new Set(pending.map((p) => p.id));
    const responses = await sendAll(planChunks(pending), pendingIds, runner);

    const retry = new Set<string>();
    let longestRetryAfter: number | undefined;
    let anyWithoutRetryAfter = false;
    let mostRetries = 0;
    for (const item of pending) {
      const res = responses.get(item.id);
      const used = retriesOf.get(item.id) ?? 0;
      if (res && isRetryableStatus(res.status, item.safeToRepeat) && used < runner.maxRetries) {
        retry.add(item.id);
        retriesOf.set(item.id, used + 1);
        mostRetries = Math.max(mostRetries, used);
        const after = parseRetryAfter(res.headers['retry-after'], runner.now());
        if (after === undefined) anyWithoutRetryAfter = true;
        else longestRetryAfter = Math.max(longestRetryAfter ?? 0, after);
      }
    }
    // A 424 only says "a dependency failed"; when that dependency is retried, so is the dependent (it never ran).
    for (let changed = true; changed;) {
      changed = false;
      for (const item of pending) {
        if (retry.has(item.id) || responses.get(item.id)?.status !== 424) continue;
        if (item.dependsOn.some((d) => retry.has(d))) {
          retry.add(item.id);
          changed = true;
        }
      }
    }
    for (const item of pending) {
      if (!retry.has(item.id)) results[item.index] = itemResult<T>(responses.get(item.id) ?? missing(item.id));
    }
    if (retry.size === 0) break;

    // Wait for the longest item Retry-After; items without one need at least the policy's backoff.
    const delay = Math.max(
      longestRetryAfter === undefined ? 0 : runner.delay(mostRetries, longestRetryAfter),
      anyWithoutRetryAfter ? runner.delay(mostRetries, undefined) : 0,
    );
    await runner.sleep(delay);
    runner.countRetries(retry.size);
    pending = pending.filter((p) => retry.has(p.id));
  }
  return results.map((r, i) => r ?? itemResult<T>(missing(prepared[i]?.id ?? String(i + 1))));
}

/** Sends every chunk (the limiter bounds how many run at once); the first failure cancels the rest. */
async function sendAll(
  chunks: readonly PreparedItem[][],
  pendingIds: ReadonlySet<string>,
  runner: BatchRunner,
): Promise<Map<string, BatchWireResponse>> {
  const cancel = new AbortController();
  let firstError: { readonly reason: unknown } | undefined;
  const settled = await Promise.allSettled(
    chunks.map(async (chunk) => {
      try {
        return await runner.send(
          chunk.map((item) => toWire(item, pendingIds)),
          cancel.signal,
          chunk.every((item) => item.safeToRepeat),
        );
      } catch (e) {
        firstError ??= { reason: e };
        cancel.abort(e);
        throw e;
      }
    }),
  );
  // The first failure is the cause; later ones are usually the cancellation it triggered.
  if (firstError) throw firstError.reason;
  const responses = new Map<string, BatchWireResponse>();
  for (const s of settled) {
    if (s.status === 'fulfilled') for (const r of s.value) responses.set(r.id, r);
  }
  return responses;
}
