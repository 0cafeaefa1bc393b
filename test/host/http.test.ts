import { type HttpHandler, type HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LocalHost, startLocalHost } from '../../local/host';
import { httpFunction } from '../../shared/runtime/definitions';
import { memoryLogger, UNUSED_STORAGE } from '../helpers/host';

interface Echo {
  method: string;
  params: Record<string, string>;
  query: Record<string, string>;
  header: string | null;
  body: string;
  functionName: string;
}

const echo = async (request: HttpRequest, context: InvocationContext) => ({
  jsonBody: {
    method: request.method,
    params: request.params,
    query: Object.fromEntries(request.query),
    header: request.headers.get('x-test'),
    body: await request.text(),
    functionName: context.functionName,
  } satisfies Echo,
});

const { logger, lines } = memoryLogger();
const functions = [
  httpFunction('getItem', { route: 'items/{id}', methods: ['GET'], handler: echo }),
  httpFunction('putItem', { route: 'items/{id}', methods: ['PUT', 'PATCH'], handler: echo }),
  httpFunction('itemsLiteral', { route: 'items/special', methods: ['GET'], handler: echo }),
  httpFunction('optional', { route: 'files/{folder}/{name?}', methods: ['GET'], handler: echo }),
  httpFunction('typed', { route: 'orders/{orderId:int}', methods: ['GET'], handler: echo }),
  httpFunction('byGuid', { route: 'objects/{id:guid}', methods: ['GET'], handler: echo }),
  httpFunction('defaultRoute', { handler: echo }),
  httpFunction('created', {
    route: 'created',
    methods: ['POST'],
    handler: async (request) => ({
      status: 201,
      headers: { location: '/api/items/7', 'x-custom': 'yes' },
      jsonBody: await request.json(),
    }),
  }),
  httpFunction('raw', {
    route: 'raw',
    methods: ['GET'],
    handler: () =>
      new HttpResponse({
        status: 202,
        body: Buffer.from([0, 1, 2, 255]),
        headers: { 'content-type': 'application/octet-stream' },
      }),
  }),
  httpFunction('text', { route: 'text', methods: ['GET'], handler: () => ({ body: 'plain words' }) }),
  // Plain JavaScript handlers can return nothing; the types do not allow it, hence the cast.
  httpFunction('nothing', { route: 'nothing', methods: ['DELETE'], handler: (() => undefined) as unknown as HttpHandler }),
  httpFunction('boom', {
    route: 'boom',
    methods: ['GET'],
    handler: () => {
      throw new Error('kaput');
    },
  }),
  httpFunction('logs', {
    route: 'logs',
    methods: ['GET'],
    handler: (_request, context) => {
      context.log('plain line', 42);
      context.warn(JSON.stringify({ level: 'warn', msg: 'structured', runId: 'r1' }));
      return { status: 200 };
    },
  }),
];

describe('local host HTTP triggers', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startLocalHost({
      functions,
      port: 0,
      storageConnectionString: UNUSED_STORAGE,
      logger,
      timers: { disabled: true },
    });
  });
  afterAll(async () => {
    await host.close();
  });

  const call = (path: string, init?: RequestInit) => fetch(`${host.url}${path}`, init);
  const json = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> => {
    const res = await call(path, init);
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  };

  it('passes route parameters, query, headers and body to the handler', async () => {
    const { status, body } = await json<Echo>('/api/items/a%20b?x=1&y=two', {
      method: 'PUT',
      headers: { 'x-test': 'hello', 'content-type': 'application/json' },
      body: '{"n":1}',
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      method: 'PUT',
      params: { id: 'a b' },
      query: { x: '1', y: 'two' },
      header: 'hello',
      body: '{"n":1}',
      functionName: 'putItem',
    });
  });

  it('picks the function by method when several share a route', async () => {
    expect((await json<Echo>('/api/items/1')).body.functionName).toBe('getItem');
    expect((await json<Echo>('/api/items/1', { method: 'PATCH' })).body.functionName).toBe('putItem');
  });

  it('prefers a literal segment over a parameter', async () => {
    expect((await json<Echo>('/api/items/special')).body.functionName).toBe('itemsLiteral');
  });

  it('matches optional parameters present or absent', async () => {
    expect((await json<Echo>('/api/files/docs/readme.md')).body.params).toEqual({ folder: 'docs', name: 'readme.md' });
    expect((await json<Echo>('/api/files/docs')).body.params).toEqual({ folder: 'docs' });
  });

  it('enforces int and guid constraints', async () => {
    expect((await json<Echo>('/api/orders/42')).body.params).toEqual({ orderId: '42' });
    expect((await call('/api/orders/abc')).status).toBe(404);
    expect((await call('/api/objects/0b8f5f4e-9c3a-4a1e-8d2b-1f2e3d4c5b6a')).status).toBe(200);
    expect((await call('/api/objects/not-a-guid')).status).toBe(404);
  });

  it('routes by function name when no route is given, with GET and POST', async () => {
    expect((await json<Echo>('/api/defaultRoute')).body.method).toBe('GET');
    expect((await json<Echo>('/api/defaultroute', { method: 'POST', body: 'x' })).body.body).toBe('x');
  });

  it('answers 405 with Allow when the route exists for other methods', async () => {
    const { status, body, headers } = await json<{ error: { code: string } }>('/api/items/1', { method: 'DELETE' });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe('GET, PATCH, PUT');
    expect(body.error.code).toBe('MethodNotAllowed');
  });

  it('answers 404 with a JSON error for unknown routes and paths outside the prefix', async () => {
    for (const path of ['/api/nope', '/elsewhere']) {
      const { status, body } = await json<{ error: { code: string; message: string } }>(path);
      expect(status).toBe(404);
      expect(body.error.code).toBe('NotFound');
    }
  });

  it('writes status, headers and JSON of an HttpResponseInit', async () => {
    const { status, body, headers } = await json<unknown>('/api/created', {
      method: 'POST',
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(status).toBe(201);
    expect(headers.get('location')).toBe('/api/items/7');
    expect(headers.get('x-custom')).toBe('yes');
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({ a: [1, 2] });
  });

  it('writes bytes of an HttpResponse and plain text bodies', async () => {
    const raw = await call('/api/raw');
    expect(raw.status).toBe(202);
    expect([...new Uint8Array(await raw.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    const text = await call('/api/text');
    expect(await text.text()).toBe('plain words');
  });

  it('answers 204 when the handler returns nothing', async () => {
    const res = await call('/api/nothing', { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('answers 500 with a JSON error without the exception message when the handler throws', async () => {
    const { status, body } = await json<{ error: { code: string; message: string; details: { invocationId: string } } }>(
      '/api/boom',
    );
    expect(status).toBe(500);
    expect(body.error.code).toBe('InternalServerError');
    expect(body.error.message).not.toContain('kaput');
    expect(lines.some((l) => l.level === 'error' && l.fields.invocationId === body.error.details.invocationId)).toBe(true);
  });

  it('routes context.log lines to the host logger with the invocation id', async () => {
    await call('/api/logs');
    const plain = lines.find((l) => l.msg === 'plain line 42');
    expect(plain).toMatchObject({ level: 'info', fields: { functionName: 'logs' } });
    expect(typeof plain?.fields.invocationId).toBe('string');
    expect(lines.find((l) => l.msg === 'structured')).toMatchObject({
      level: 'warn',
      fields: { runId: 'r1', functionName: 'logs' },
    });
  });

  it('rejects bodies over the size limit with 413', async () => {
    const res = await call('/api/defaultRoute', {
      method: 'POST',
      headers: { 'content-length': String(200 * 1024 * 1024) },
      body: 'small',
    }).catch(() => undefined);
    // Node's fetch refuses a mismatched content-length, so send the declared size through a raw request instead.
    const status = res?.status ?? (await rawStatus(host.port));
    expect(status).toBe(413);
  });

  it('lists the routes it serves', () => {
    expect(host.routes.find((r) => r.name === 'getItem')).toEqual({
      name: 'getItem',
      methods: ['GET'],
      url: `${host.url}/api/items/{id}`,
      authLevel: 'anonymous',
    });
  });
});

async function rawStatus(port: number): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', path: '/api/defaultRoute', method: 'POST', headers: { 'content-length': 200 * 1024 * 1024 } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write('partial');
  });
}
