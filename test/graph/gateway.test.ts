import { Writable } from 'node:stream';

import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { GraphError } from '../../shared/graph/errors';
import { defaultSleep } from '../../shared/graph/gateway';
import { graphPath } from '../../shared/graph/types';
import { BIG_GROUP, MISSING_ID, recordingGateway, SandboxControl, USER_COUNT, userId } from './sandbox';

let sb: SandboxControl;

beforeAll(async () => {
  sb = await SandboxControl.start();
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(async () => {
  await sb.clean();
});

const members = { method: 'GET', path: graphPath`/groups/${BIG_GROUP}/members`, query: { $top: '999', $select: 'id' } } as const;

const caught = async (p: Promise<unknown>): Promise<GraphError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected a GraphError');
};

describe('paging', () => {
  it('follows next links over three pages of 999 and returns every member once', async () => {
    const { graph } = recordingGateway(sb.url);
    const sizes: number[] = [];
    const ids = new Set<string>();
    for await (const page of graph.pages<{ id: string }>(members)) {
      sizes.push(page.value.length);
      for (const m of page.value) ids.add(m.id);
    }
    expect(sizes).toEqual([999, 999, 502]);
    expect(ids.size).toBe(USER_COUNT);
    expect((await sb.stats()).byRoute['GET /groups/{id}/members']).toBe(3);
    expect(graph.counters.httpCalls).toBe(3);
  });

  it('fetches the next page only when the consumer asks for it', async () => {
    const { graph } = recordingGateway(sb.url);
    for await (const page of graph.pages(members)) {
      expect(page.nextLink).toBeDefined();
      break;
    }
    expect((await sb.stats()).requests).toBe(1);
  });

  it('collects a whole collection with all()', async () => {
    const { graph } = recordingGateway(sb.url);
    const all = await graph.all<{ id: string }>(members);
    expect(all).toHaveLength(USER_COUNT);
    expect(new Set(all.map((m) => m.id)).size).toBe(USER_COUNT);
  });

  it('refuses a next link on a foreign host without sending anything there', async () => {
    const seen: string[] = [];
    const rewriting: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      seen.push(new URL(url).host);
      const res = await fetch(input, init);
      const body = (await res.json()) as Record<string, unknown>;
      if (typeof body['@odata.nextLink'] === 'string') {
        body['@odata.nextLink'] = body['@odata.nextLink'].replace(new URL(sb.url).origin, 'https://evil.example');
      }
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const { graph } = recordingGateway(sb.url, { fetch: rewriting });
    const pages: number[] = [];
    const error = await caught(
      (async () => {
        for await (const page of graph.pages(members)) pages.push(page.value.length);
      })(),
    );
    expect(error.kind).toBe('invalidRequest');
    expect(error.message).toMatch(/evil\.example/);
    expect(pages).toEqual([999]);
    expect(seen).toEqual([new URL(sb.url).host]);
  });

  it('refuses an absolute path on a foreign host before any request', async () => {
    const { graph } = recordingGateway(sb.url);
    const error = await caught(graph.request({ method: 'GET', path: 'https://evil.example/v1.0/users' }));
    expect(error.kind).toBe('invalidRequest');
    expect((await sb.stats()).requests).toBe(0);
  });
});

describe('$batch', () => {
  it('carries 45 requests in exactly 3 $batch calls with results in input order', async () => {
    const { graph } = recordingGateway(sb.url);
    const ids = Array.from({ length: 45 }, (_, i) => userId(i * 7));
    const results = await graph.batch<{ id: string }>(ids.map((id) => ({ method: 'GET', path: graphPath`/users/${id}` })));
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(results.map((r) => r.body?.id)).toEqual(ids);
    const stats = await sb.stats();
    expect({ requests: stats.requests, subRequests: stats.subRequests }).toEqual({ requests: 3, subRequests: 45 });
    expect(graph.counters).toMatchObject({ httpCalls: 3, subRequests: 45, retries: 0 });
  });

  it('retries throttled items in a new batch after the longest item Retry-After', async () => {
    const { graph, sleeps } = recordingGateway(sb.url);
    await sb.faults([
      { route: 'GET /users/{id}', kind: '429', times: 2, retryAfterSeconds: 3, scope: 'batchItem' },
      { route: 'GET /users/{id}', kind: '429', times: 1, retryAfterSeconds: 7, scope: 'batchItem' },
    ]);
    const ids = Array.from({ length: 10 }, (_, i) => userId(i));
    const results = await graph.batch<{ id: string }>(ids.map((id) => ({ method: 'GET', path: graphPath`/users/${id}` })));
    expect(results.map((r) => r.body?.id)).toEqual(ids);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(sleeps).toEqual([7000]);
    const stats = await sb.stats();
    expect({ requests: stats.requests, subRequests: stats.subRequests }).toEqual({ requests: 2, subRequests: 13 });
    expect(graph.counters).toMatchObject({ httpCalls: 2, subRequests: 13, throttled: 3, retries: 3 });
  });

  it('backs off for throttled items that carry no Retry-After', async () => {
    const { graph, sleeps } = recordingGateway(sb.url);
    await sb.faults([{ route: 'GET /users/{id}', kind: '503', times: 1, scope: 'batchItem' }]);
    const results = await graph.batch([{ method: 'GET', path: graphPath`/users/${userId(1)}` }]);
    expect(results[0]?.status).toBe(200);
    expect(sleeps).toEqual([250]);
  });

  it('returns an item still throttled after maxRetries as its own result', async () => {
    const { graph, sleeps } = recordingGateway(sb.url, { maxRetries: 2 });
    await sb.faults([{ route: 'GET /users/{id}', kind: '429', times: 100, retryAfterSeconds: 1, scope: 'batchItem' }]);
    const results = await graph.batch([
      { method: 'GET', path: graphPath`/users/${userId(1)}` },
      { method: 'GET', path: graphPath`/groups/${BIG_GROUP}` },
    ]);
    expect(results.map((r) => r.status)).toEqual([429, 200]);
    expect(results[0]?.error?.code).toBe('TooManyRequests');
    expect(sleeps).toEqual([1000, 1000]);
    expect((await sb.stats()).byRouteInBatch['GET /users/{id}']).toBe(3);
  });

  it('reports per-item Graph errors without retrying them', async () => {
    const { graph } = recordingGateway(sb.url);
    const results = await graph.batch([
      { method: 'GET', path: graphPath`/users/${MISSING_ID}` },
      { method: 'GET', path: graphPath`/users/${userId(2)}` },
    ]);
    expect(results.map((r) => r.status)).toEqual([404, 200]);
    expect(results[0]?.error?.code).toBe('Request_ResourceNotFound');
    expect(graph.counters.retries).toBe(0);
  });

  it('answers 424 for an item whose dependency failed', async () => {
    const { graph } = recordingGateway(sb.url);
    const results = await graph.batch([
      { id: 'a', method: 'GET', path: graphPath`/users/${MISSING_ID}` },
      { id: 'b', method: 'GET', path: graphPath`/users/${userId(3)}`, dependsOn: ['a'] },
    ]);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['a', 404],
      ['b', 424],
    ]);
    expect(results[1]?.error).toBeDefined();
  });

  it('retries a dependent that failed only because its dependency was throttled', async () => {
    const { graph, sleeps } = recordingGateway(sb.url);
    await sb.faults([{ route: 'GET /groups/{id}', kind: '429', times: 1, retryAfterSeconds: 2, scope: 'batchItem' }]);
    const results = await graph.batch([
      { id: 'g', method: 'GET', path: graphPath`/groups/${BIG_GROUP}` },
      { id: 'u', method: 'GET', path: graphPath`/users/${userId(4)}`, dependsOn: ['g'] },
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(sleeps).toEqual([2000]);
    expect((await sb.stats()).requests).toBe(2);
  });

  it('keeps a dependsOn chain in one call', async () => {
    const { graph } = recordingGateway(sb.url);
    const items = [
      ...Array.from({ length: 19 }, (_, i) => ({ method: 'GET' as const, path: graphPath`/users/${userId(i)}` })),
      { id: 'x', method: 'GET' as const, path: graphPath`/users/${userId(100)}` },
      { id: 'y', method: 'GET' as const, path: graphPath`/users/${userId(101)}`, dependsOn: ['x'] },
    ];
    const results = await graph.batch(items);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect((await sb.stats()).requests).toBe(2);
  });
});

describe('retries', () => {
  it('honours a top-level Retry-After, fractional seconds included', async () => {
    const { graph, sleeps } = recordingGateway(sb.url);
    await sb.faults([
      { route: 'GET /users', kind: '429', times: 1, retryAfterSeconds: 2 },
      { route: 'GET /users', kind: '429', times: 1, retryAfterSeconds: 1.5 },
    ]);
    const body = await graph.request<{ value: unknown[] }>({
      method: 'GET',
      path: '/users',
      query: { $top: '1', $select: 'id' },
    });
    expect(body.value).toHaveLength(1);
    expect(sleeps).toEqual([2000, 1500]);
    expect(graph.counters).toMatchObject({ httpCalls: 3, throttled: 2, retries: 2 });
  });

  it('makes exactly maxRetries + 1 attempts on a permanent 503, then fails with retriesExhausted', async () => {
    const { graph, sleeps } = recordingGateway(sb.url, { maxRetries: 3 });
    await sb.faults([{ route: 'GET /users', kind: '503', times: 1000 }]);
    const error = await caught(graph.request({ method: 'GET', path: '/users' }));
    expect(error).toMatchObject({ kind: 'retriesExhausted', status: 503, attempts: 4, method: 'GET', route: '/users' });
    expect((await sb.stats()).byRoute['GET /users']).toBe(4);
    expect(sleeps).toHaveLength(3);
  });

  it('backs off exponentially when 504s carry no Retry-After', async () => {
    const { graph, sleeps } = recordingGateway(sb.url);
    await sb.faults([{ route: 'GET /users', kind: '504', times: 3 }]);
    await graph.request({ method: 'GET', path: '/users' });
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it('retries a connection reset', async () => {
    const { graph } = recordingGateway(sb.url);
    await sb.faults([{ route: 'GET /users', kind: 'reset', times: 2 }]);
    const body = await graph.request<{ value: unknown[] }>({ method: 'GET', path: '/users', query: { $top: '2' } });
    expect(body.value).toHaveLength(2);
    expect(graph.counters).toMatchObject({ httpCalls: 3, retries: 2 });
  });

  it('reports the connection error code once resets exhaust the retries', async () => {
    const { graph } = recordingGateway(sb.url, { maxRetries: 1 });
    await sb.faults([{ route: 'GET /users', kind: 'reset', times: 10 }]);
    const error = await caught(graph.request({ method: 'GET', path: '/users' }));
    expect(error).toMatchObject({ kind: 'retriesExhausted', status: 0, attempts: 2 });
    expect(error.code).toMatch(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/);
  });

  it('surfaces a 404 with Graph code, status and route, without retrying', async () => {
    const { graph, sleeps } = recordingGateway(sb.url);
    const error = await caught(graph.request({ method: 'GET', path: graphPath`/users/${MISSING_ID}`, query: { $select: 'id' } }));
    expect(error).toMatchObject({
      kind: 'http',
      status: 404,
      code: 'Request_ResourceNotFound',
      method: 'GET',
      route: `/users/${MISSING_ID}`,
    });
    expect(error.message).not.toContain('$select');
    expect(sleeps).toEqual([]);
    expect((await sb.stats()).requests).toBe(1);
  });

  it('returns listed 4xx statuses from send() instead of throwing', async () => {
    const { graph } = recordingGateway(sb.url);
    const res = await graph.send({ method: 'GET', path: graphPath`/users/${MISSING_ID}` }, [404]);
    expect(res.status).toBe(404);
  });
});

describe('deadline and cancellation', () => {
  it('sends nothing once the deadline has passed', async () => {
    const { graph } = recordingGateway(sb.url);
    const error = await caught(graph.scoped({ deadline: Date.now() - 1 }).request({ method: 'GET', path: '/users' }));
    expect(error.kind).toBe('deadline');
    expect((await sb.stats()).requests).toBe(0);
  });

  it('does not start a wait that would end after the deadline', async () => {
    let clock = 1_000_000;
    const { graph, sleeps } = recordingGateway(sb.url, {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    await sb.faults([{ route: 'GET /users', kind: '429', times: 10, retryAfterSeconds: 2 }]);
    const error = await caught(graph.scoped({ deadline: clock + 5000 }).request({ method: 'GET', path: '/users' }));
    expect(error.kind).toBe('deadline');
    expect(sleeps).toEqual([2000, 2000]);
    expect((await sb.stats()).byRoute['GET /users']).toBe(3);
  });

  it('aborts a retry wait when the run is cancelled', async () => {
    const cancel = new AbortController();
    const { graph } = recordingGateway(sb.url, {
      sleep: (ms, signal) => {
        cancel.abort(new Error('run cancelled'));
        return defaultSleep(ms, signal);
      },
    });
    await sb.faults([{ route: 'GET /users', kind: '429', times: 1, retryAfterSeconds: 30 }]);
    const error = await caught(graph.scoped({ signal: cancel.signal }).request({ method: 'GET', path: '/users' }));
    expect(error.kind).toBe('deadline');
    expect((await sb.stats()).byRoute['GET /users']).toBe(1);
  });
});

describe('adaptive concurrency', () => {
  it('runs up to maxConcurrency requests at once, and half as many after a 429', async () => {
    let inFlight = 0;
    let peak = 0;
    const counting: typeof fetch = async (input, init) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const { graph } = recordingGateway(sb.url, { fetch: counting, maxConcurrency: 8 });
    await sb.latency(40);
    const burst = (n: number) =>
      Promise.all(Array.from({ length: n }, () => graph.request({ method: 'GET', path: '/users', query: { $top: '1' } })));
    await burst(16);
    expect(peak).toBe(8);

    await sb.faults([{ route: 'GET /users', kind: '429', times: 1, retryAfterSeconds: 0 }]);
    await graph.request({ method: 'GET', path: '/users', query: { $top: '1' } });
    peak = 0;
    // The limit is now 4 and grows by one per window of successes, so this burst peaks at 4 or 5, never near 8.
    await burst(8);
    expect(peak).toBeGreaterThanOrEqual(4);
    expect(peak).toBeLessThanOrEqual(5);
  });
});

describe('scopes and counters', () => {
  it('gives each run its own counters and adds them to the parent', async () => {
    const { graph } = recordingGateway(sb.url);
    const runA = graph.scoped();
    const runB = graph.scoped();
    await runA.request({ method: 'GET', path: '/users', query: { $top: '1' } });
    await runB.batch([
      { method: 'GET', path: graphPath`/users/${userId(1)}` },
      { method: 'GET', path: graphPath`/users/${userId(2)}` },
    ]);
    expect(runA.counters).toEqual({ httpCalls: 1, subRequests: 0, throttled: 0, retries: 0 });
    expect(runB.counters).toEqual({ httpCalls: 1, subRequests: 2, throttled: 0, retries: 0 });
    expect(graph.counters).toEqual({ httpCalls: 2, subRequests: 2, throttled: 0, retries: 0 });
  });
});

describe('logging', () => {
  it('logs retries at info level without tokens, queries or bodies', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const { graph } = recordingGateway(sb.url, { logger });
    await sb.faults([{ route: 'GET /users', kind: '429', times: 1, retryAfterSeconds: 1 }]);
    await graph.request({ method: 'GET', path: '/users', query: { $filter: "userPrincipalName eq 'user1@gateway.example'" } });
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(0);
    expect(text).toContain('graph retry');
    expect(text).not.toMatch(/gateway-tests|Bearer|user1@gateway|\$filter|"value"/);
  });
});
