/**
 * The small HTTP scaffold both ticket-system stand-ins share: bounded body reading, JSON answers, injected faults on
 * API routes (a status, or a hang that only ends when the client gives up), and signed callback deliveries that can be
 * sent again as the real systems retry them. Control routes live under `/_standin/` and are never faulted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { z } from 'zod';

const MAX_BODY_BYTES = 1024 * 1024;

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
}

export interface StandInResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): StandInResponse => ({
  status,
  ...(body === undefined ? {} : { body }),
  ...(headers ? { headers } : {}),
});

/** One injected fault, applied to the next `count` API requests whose path starts with `pathPrefix`. */
export const faultSchema = z
  .object({
    status: z.number().int().min(400).max(599).optional(),
    hang: z.boolean().optional(),
    count: z.number().int().min(1).max(1000).default(1),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    pathPrefix: z.string().startsWith('/').optional(),
  })
  .strict()
  .refine((f) => (f.status === undefined) !== (f.hang === undefined), { message: 'give exactly one of status or hang' });
export type Fault = z.output<typeof faultSchema>;

export interface Delivery {
  readonly id: string;
  readonly url: string;
  /** Sends the stored body again (the same delivery id) with freshly computed headers for `attempt`. */
  readonly headersFor: (attempt: number) => Record<string, string>;
  readonly body: string;
  attempts: number;
}

export interface DeliveryOutcome {
  readonly deliveryId: string;
  readonly url: string;
  readonly attempt: number;
  readonly status?: number;
  readonly responseBody?: string;
  readonly error?: string;
}

/** POSTs a callback the way the system would; answers what the receiver said (the stand-in never retries by itself). */
export async function deliver(delivery: Delivery, timeoutMs = 30_000): Promise<DeliveryOutcome> {
  delivery.attempts += 1;
  const attempt = delivery.attempts;
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...delivery.headersFor(attempt) },
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      deliveryId: delivery.id,
      url: delivery.url,
      attempt,
      status: res.status,
      responseBody: (await res.text()).slice(0, 4000),
    };
  } catch (e) {
    return { deliveryId: delivery.id, url: delivery.url, attempt, error: e instanceof Error ? e.message : String(e) };
  }
}

export interface StandInHandlers {
  readonly name: string;
  /** API routes (faults apply). */
  api(req: StandInRequest): Promise<StandInResponse> | StandInResponse;
  /** `/_standin/...` routes other than the shared fault routes. */
  control(req: StandInRequest): Promise<StandInResponse | undefined> | StandInResponse | undefined;
  /** The body of an injected error status, in the system's own error shape. */
  faultBody(status: number): unknown;
  /** Signed callbacks sent so far, listed and redelivered by the shared `/_standin/deliveries` routes. */
  readonly deliveries?: ReadonlyMap<string, Delivery>;
  /** `POST /_standin/callback`: the body's schema, and where an accepted target goes. */
  readonly callback?: CallbackControl;
}

export interface CallbackControl<T extends { url: string; secret?: string } = { url: string; secret?: string }> {
  readonly schema: z.ZodType<T>;
  set(target: T): void;
}

export interface StandInServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function parseJson(req: StandInRequest): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(req.rawBody) as unknown };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : 'invalid JSON' };
  }
}

/** A control route's JSON body through its schema, or the 400 to answer. */
export function controlBody<T>(
  req: StandInRequest,
  schema: z.ZodType<T>,
  code: string,
): { value: T } | { refused: StandInResponse } {
  const body = req.rawBody.trim() === '' ? ({ ok: true, value: {} } as const) : parseJson(req);
  if (!body.ok) return { refused: json(400, { error: { code, message: `Body is not JSON: ${body.message}` } }) };
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { refused: json(400, { error: { code, message } }) };
  }
  return { value: parsed.data };
}

/** Where a stand-in sends its signed callbacks. */
export const callbackSchema = z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(1) }).strict();

/** The shared state of one stand-in server: queued faults, request counts, open sockets and hung responses. */
interface ServerState {
  readonly handlers: StandInHandlers;
  readonly faults: Fault[];
  /** API requests by `METHOD path`, faulted ones included, so tests can count calls (`GET /_standin/stats`). */
  readonly requests: Map<string, number>;
  readonly sockets: Set<Socket>;
  readonly hung: Set<ServerResponse>;
}

/** A control route's 404 in the stand-ins' own control error shape. */
export const controlNotFound = (message: string): StandInResponse => json(404, { error: { code: 'NotFound', message } });

function takeFault(state: ServerState, path: string): Fault | undefined {
  const { faults } = state;
  const index = faults.findIndex((f) => f.pathPrefix === undefined || path.startsWith(f.pathPrefix));
  if (index < 0) return undefined;
  const fault = faults[index]!;
  if (fault.count <= 1) faults.splice(index, 1);
  else faults[index] = { ...fault, count: fault.count - 1 };
  return fault;
}

/** `/_standin/faults` and `/_standin/stats`, the control routes every stand-in has. */
function faultAndStatsControl(state: ServerState, req: StandInRequest): StandInResponse | undefined {
  const { faults, requests } = state;
  if (req.path === '/_standin/faults' && req.method === 'POST') {
    const body = parseJson(req);
    const parsed = body.ok ? faultSchema.safeParse(body.value) : undefined;
    if (!parsed?.success) return json(400, { error: { code: 'InvalidFault', message: parsed?.error.message ?? 'invalid JSON' } });
    faults.push(parsed.data);
    return json(200, { faults });
  }
  if (req.path === '/_standin/faults' && req.method === 'GET') return json(200, { faults });
  if (req.path === '/_standin/faults' && req.method === 'DELETE') {
    faults.length = 0;
    return json(204);
  }
  if (req.path === '/_standin/stats' && req.method === 'GET') return json(200, { requests: Object.fromEntries(requests) });
  if (req.path === '/_standin/stats' && req.method === 'DELETE') {
    requests.clear();
    return json(204);
  }
  return undefined;
}

/** `/_standin/deliveries` (the signed callbacks sent so far) and `/_standin/deliveries/{id}/redeliver`. */
async function deliveryControl(
  deliveries: ReadonlyMap<string, Delivery> | undefined,
  req: StandInRequest,
): Promise<StandInResponse | undefined> {
  if (!deliveries) return undefined;
  if (req.path === '/_standin/deliveries' && req.method === 'GET') {
    return json(200, {
      value: [...deliveries.values()].map((d) => ({
        id: d.id,
        url: d.url,
        attempts: d.attempts,
        body: JSON.parse(d.body) as unknown,
      })),
    });
  }
  const redeliver = /^\/_standin\/deliveries\/([^/]+)\/redeliver$/.exec(req.path);
  if (redeliver && req.method === 'POST') {
    const delivery = deliveries.get(decodeURIComponent(redeliver[1]!));
    if (!delivery) return controlNotFound(`No delivery ${redeliver[1]}`);
    return json(200, { delivery: await deliver(delivery) });
  }
  return undefined;
}

/** `POST /_standin/callback`: points the stand-in's signed callbacks at a receiver. */
function callbackControl(callback: CallbackControl | undefined, req: StandInRequest): StandInResponse | undefined {
  if (!callback || req.path !== '/_standin/callback' || req.method !== 'POST') return undefined;
  const parsed = controlBody(req, callback.schema, 'InvalidCallback');
  if ('refused' in parsed) return parsed.refused;
  callback.set(parsed.value);
  return json(204);
}

async function control(state: ServerState, req: StandInRequest): Promise<StandInResponse> {
  const { handlers } = state;
  const out =
    faultAndStatsControl(state, req) ??
    callbackControl(handlers.callback, req) ??
    (await deliveryControl(handlers.deliveries, req)) ??
    (await handlers.control(req));
  return out ?? controlNotFound(`No ${handlers.name} stand-in control route ${req.method} ${req.path}`);
}

/** An API request: counted, then faulted if a fault is queued for its path, else answered by the stand-in. */
async function apiRoute(state: ServerState, req: StandInRequest, res: ServerResponse): Promise<StandInResponse | 'hang'> {
  const key = `${req.method} ${req.path}`;
  state.requests.set(key, (state.requests.get(key) ?? 0) + 1);
  const fault = takeFault(state, req.path);
  if (fault?.hang) {
    state.hung.add(res);
    res.on('close', () => state.hung.delete(res));
    return 'hang';
  }
  if (fault?.status !== undefined) {
    return json(
      fault.status,
      state.handlers.faultBody(fault.status),
      fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) },
    );
  }
  return state.handlers.api(req);
}

/**
 * Reads the request with its body bounded. Over the limit it answers 413 itself, before leaving the body loop (leaving
 * it destroys the request and with it the socket), and returns undefined.
 */
async function readRequest(
  state: ServerState,
  incoming: IncomingMessage,
  res: ServerResponse,
): Promise<StandInRequest | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      write(res, json(413, state.handlers.faultBody(413)));
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  const url = new URL(incoming.url ?? '/', 'http://stand-in');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(incoming.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: incoming.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers,
    rawBody: Buffer.concat(chunks).toString('utf8'),
  };
}

async function handle(state: ServerState, incoming: IncomingMessage, res: ServerResponse): Promise<void> {
  const req = await readRequest(state, incoming, res);
  if (!req) return;
  const out = req.path.startsWith('/_standin/') ? await control(state, req) : await apiRoute(state, req, res);
  if (out !== 'hang') write(res, out);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startStandInServer(handlers: StandInHandlers, port = 0, host = '127.0.0.1'): Promise<StandInServer> {
  const state: ServerState = { handlers, faults: [], requests: new Map(), sockets: new Set(), hung: new Set() };
  const server: Server = createServer((incoming: IncomingMessage, res: ServerResponse) => {
    handle(state, incoming, res).catch((e: unknown) => {
      process.stderr.write(`${handlers.name} stand-in: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      if (!res.headersSent) write(res, json(500, handlers.faultBody(500)));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
  });
  await listen(server, port, host);
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of state.hung) res.destroy();
        for (const socket of state.sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function write(res: ServerResponse, out: StandInResponse): void {
  if (out.body === undefined) {
    res.writeHead(out.status, { ...out.headers });
    res.end();
    return;
  }
  res.writeHead(out.status, { 'content-type': 'application/json;charset=UTF-8', ...out.headers });
  res.end(JSON.stringify(out.body));
}

/** Parses `Authorization: Basic` into its two halves. */
export function basicCredentials(headers: Readonly<Record<string, string>>): { user: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
