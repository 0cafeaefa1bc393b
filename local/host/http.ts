/**
 * HTTP triggers at `/<routePrefix>/<route>`. Like `func start`, the local host does not check function keys:
 * everything is loopback-only, so `authLevel` is reported but not enforced (a caller may still send
 * `x-functions-key` or `?code=`; they reach the handler unchanged). Azure enforces keys on the same definitions.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import { type HttpFunctionOptions, type HttpMethod, HttpRequest, HttpResponse } from '@azure/functions';

import type { FunctionDefinition } from '../../shared/runtime/definitions';
import type { Invoker } from './invoker';
import { compareRank, matchRoute, parseRouteTemplate, type RouteTemplate } from './route';
import type { HostLogger } from './types';

export const MAX_REQUEST_BYTES = 100 * 1024 * 1024;
const DEFAULT_METHODS: readonly HttpMethod[] = ['GET', 'POST'];

interface HttpRoute {
  readonly name: string;
  readonly route: RouteTemplate;
  readonly methods: ReadonlySet<string>;
  readonly options: HttpFunctionOptions;
}

export interface HttpRouteInfo {
  readonly name: string;
  readonly methods: readonly string[];
  readonly url: string;
  readonly authLevel: string;
}

export class HttpTriggers {
  private readonly routes: readonly HttpRoute[];

  constructor(
    functions: readonly FunctionDefinition[],
    private readonly routePrefix: string,
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
  ) {
    const routes: HttpRoute[] = [];
    for (const def of functions) {
      if (def.kind !== 'http') continue;
      const template = def.options.route ?? def.name;
      routes.push({
        name: def.name,
        route: parseRouteTemplate(template),
        methods: new Set((def.options.methods ?? DEFAULT_METHODS).map((m) => m.toUpperCase())),
        options: def.options,
      });
    }
    this.routes = routes.sort((a, b) => compareRank(a.route.rank, b.route.rank));
  }

  describe(baseUrl: string): HttpRouteInfo[] {
    const prefix = this.routePrefix ? `/${this.routePrefix}` : '';
    return this.routes.map((r) => ({
      name: r.name,
      methods: [...r.methods],
      url: `${baseUrl}${prefix}/${r.route.template}`,
      authLevel: r.options.authLevel ?? 'anonymous',
    }));
  }

  /** Segments after the route prefix, or undefined when the path is outside it. */
  pathSegments(pathname: string): string[] | undefined {
    const parts = pathname.split('/').filter((p, i, all) => !(p === '' && (i === 0 || i === all.length - 1)));
    const prefix = this.routePrefix ? this.routePrefix.split('/') : [];
    for (const [i, p] of prefix.entries()) if (parts[i]?.toLowerCase() !== p.toLowerCase()) return undefined;
    return parts.slice(prefix.length);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, segments: readonly string[]): Promise<void> {
    let decoded: string[];
    try {
      decoded = segments.map((s) => decodeURIComponent(s));
    } catch {
      return writeError(res, 400, 'BadRequest', 'The request path is not valid percent-encoding');
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = matchRoute(route.route, decoded);
      if (!params) continue;
      if (!route.methods.has(method)) {
        route.methods.forEach((m) => allowed.add(m));
        continue;
      }
      return this.invoke(route, params, req, res, url, method);
    }
    if (allowed.size > 0) {
      res.setHeader('allow', [...allowed].sort().join(', '));
      return writeError(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}`, {
        allowed: [...allowed].sort(),
      });
    }
    return writeError(res, 404, 'NotFound', `No function is registered for ${url.pathname}`);
  }

  private async invoke(
    route: HttpRoute,
    params: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return writeError(res, 413, 'PayloadTooLarge', `The request body exceeds ${MAX_REQUEST_BYTES} bytes`);
      }
      throw error;
    }
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: requestHeaders(req),
      params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    let response: HttpResponse;
    let invocationId = '';
    try {
      response = await this.invoker.invoke(
        {
          functionName: route.name,
          triggerType: 'httpTrigger',
          triggerMetadata: { params, query: Object.fromEntries(url.searchParams), headers: requestHeaders(req) },
        },
        async (context) => {
          invocationId = context.invocationId;
          const result = await route.options.handler(request, context);
          return toResponse(result);
        },
      );
    } catch (error) {
      // The handler threw: the Functions host answers 500 without details; the log has the error.
      this.logger.debug({ err: error, functionName: route.name }, 'HTTP function failed');
      return writeError(res, 500, 'InternalServerError', `Function '${route.name}' failed; see the host log`, { invocationId });
    }
    await writeResponse(res, response, method === 'HEAD');
  }
}

class BodyTooLarge extends Error {}

/** The body as UTF-8 text, or undefined when it exceeds MAX_REQUEST_BYTES (the caller answers 413). */
export async function readRequestText(req: IncomingMessage): Promise<string | undefined> {
  try {
    return (await readBody(req, MAX_REQUEST_BYTES)).toString('utf8');
  } catch (error) {
    if (error instanceof BodyTooLarge) return undefined;
    throw error;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * `HttpResponseInit` or `HttpResponse` → `HttpResponse`, which renders jsonBody, strings, bytes and streams the way
 * the library does in Azure. A handler that returns nothing gets 204, like an empty HTTP output.
 */
function toResponse(result: unknown): HttpResponse {
  if (result instanceof HttpResponse) return result;
  if (result === undefined || result === null) return new HttpResponse({ status: 204 });
  return new HttpResponse(result);
}

async function writeResponse(res: ServerResponse, response: HttpResponse, head: boolean): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (body.length > 0 || !nullBodyStatus(response.status)) res.setHeader('content-length', body.length);
  res.end(head ? undefined : body);
}

const nullBodyStatus = (status: number) => status === 204 || status === 205 || status === 304 || (status >= 100 && status < 200);

export function writeError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  writeJson(res, status, { error: details ? { code, message, details } : { code, message } });
}

export function writeJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}
