/** node:http server: `/v1.0/...` Graph routes through the pipeline, `/_sandbox/...` control routes (no auth). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { SandboxEnv } from './env';
import { knobsPatchSchema, mergeKnobs, type SandboxKnobs } from './knobs';
import { runGraph } from './pipeline';
import type { Router } from './router';
import { bearerToken, buildRouter } from './routes/index';
import { parseTenantFile, type TenantFile } from './tenantFile';

const MAX_BODY_BYTES = 512 * 1024 * 1024;

export interface GraphSandbox {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class BodyError extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyError('Request body too large.');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function controlError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

export interface ServerOptions {
  readonly port: number;
  readonly host: string;
  readonly tenant: TenantFile;
  readonly knobs: Partial<SandboxKnobs>;
}

async function parseJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  return text.length === 0 ? {} : (JSON.parse(text) as unknown);
}

/** `/_sandbox/...`: tenant, reset, knobs and stats (local/sandbox/README.md). No auth: loopback only. */
async function handleControl(env: SandboxEnv, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    if (path === '/_sandbox/tenant' && method === 'GET') return send(res, 200, env.state.toTenantFile());
    if (path === '/_sandbox/tenant' && method === 'POST') {
      env.replaceTenant(parseTenantFile(await parseJsonBody(req), 'POST /_sandbox/tenant'));
      return send(res, 204, undefined);
    }
    if (path === '/_sandbox/reset' && method === 'POST') {
      env.reset();
      return send(res, 204, undefined);
    }
    if (path === '/_sandbox/knobs' && method === 'GET') return send(res, 200, env.knobs);
    if (path === '/_sandbox/knobs' && method === 'POST') return setKnobs(env, res, await parseJsonBody(req));
    if (path === '/_sandbox/stats' && method === 'GET') return send(res, 200, env.stats.snapshot());
    if (path === '/_sandbox/stats/writes' && method === 'GET') return send(res, 200, env.stats.writes());
    if (path === '/_sandbox/stats/reset' && method === 'POST') {
      env.stats.reset();
      return send(res, 204, undefined);
    }
    return controlError(res, 404, 'NotFound', `No sandbox control route ${method} ${path}.`);
  } catch (err) {
    if (err instanceof SyntaxError) return controlError(res, 400, 'InvalidJson', `Body is not valid JSON: ${err.message}`);
    if (err instanceof Error) return controlError(res, 400, 'InvalidRequest', err.message);
    throw err;
  }
}

function setKnobs(env: SandboxEnv, res: ServerResponse, body: unknown): void {
  const parsed = knobsPatchSchema.safeParse(body);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return controlError(res, 400, 'InvalidKnobs', message);
  }
  env.knobs = mergeKnobs(env.knobs, parsed.data);
  send(res, 200, env.knobs);
}

/** `/v1.0/...`: every Graph request through the pipeline (auth, throttling, faults, latency, the route). */
async function handleGraph(env: SandboxEnv, router: Router, req: IncomingMessage, res: ServerResponse, fallbackHost: string) {
  const headers = headersOf(req);
  const text = await readBody(req);
  let body: unknown;
  let invalidJson = false;
  if (text.trim().length > 0) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      invalidJson = true;
    }
  }
  const outcome = await runGraph(env, router, {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers,
    body,
    token: bearerToken(headers),
    origin: `http://${headers.host ?? fallbackHost}`,
    inBatch: false,
    invalidJson,
  });
  if ('reset' in outcome) {
    req.socket.destroy();
    return;
  }
  send(res, outcome.status, outcome.body, outcome.headers);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startServer(options: ServerOptions): Promise<GraphSandbox> {
  const env = new SandboxEnv(options.tenant, options.knobs);
  const router = buildRouter(() => env);
  const sockets = new Set<Socket>();
  let port = options.port;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const work = path.startsWith('/_sandbox/')
      ? handleControl(env, req, res, path)
      : /^\/v1\.0(\/|$)/i.test(path)
        ? handleGraph(env, router, req, res, `${options.host}:${port}`)
        : Promise.resolve(controlError(res, 404, 'NotFound', 'Graph routes live under /v1.0/.'));
    work.catch((err: unknown) => {
      process.stderr.write(`graph sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      if (!res.headersSent)
        send(res, err instanceof BodyError ? 413 : 500, { error: { code: 'InternalServerError', message: 'Sandbox failure.' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  port = await listen(server, options.port, options.host);
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
