import { HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import type { AppConfig } from '../config';
import { AppError } from '../errors';
import { ADMIN_ROLE, callerOf, READER_ROLE } from '../http/auth';
import { errorResponse } from '../http/respond';
import { isLoopbackHost } from '../loopback';
import type { FunctionDefinition } from '../runtime/definitions';

/**
 * The console's way into the API: `/api/console/api/{route}` forwards to the very same handlers as `/api/{route}`.
 * The API routes keep `authLevel: function` for scripts, but a browser must never hold a function key, so this
 * route is anonymous at the host and authenticates in the app instead, always:
 * - in Azure, an Entra bearer token validated in the app (`Authorization` header, never a cookie) with the app role
 *   for the access (EntraOps.Reader or EntraOps.Admin to read, EntraOps.Admin to write), whatever REQUIRE_APP_ROLES
 *   says; without bearer validation configured the route answers 401 and forwards nothing;
 * - on the local stack (no bearer settings, not in Azure, loopback request), no sign-in, like the rest of the API.
 * Writes from another site are refused (Origin / Sec-Fetch-Site), which is what protects the sign-in-free local mode
 * from a malicious page; with bearer tokens there is no ambient credential a cross-site request could ride on.
 */
const READ = new Set(['GET', 'HEAD']);

export async function checkConsoleCaller(request: HttpRequest, config: AppConfig): Promise<void> {
  const url = new URL(request.url);
  if (!READ.has(request.method)) {
    const origin = request.headers.get('origin');
    const site = request.headers.get('sec-fetch-site');
    if ((origin && origin !== url.origin) || site === 'cross-site' || site === 'same-site') {
      throw new AppError('CROSS_SITE_REQUEST', 'Writes are accepted only from the console itself', 403, {
        origin: origin ?? null,
        fetchSite: site ?? null,
      });
    }
  }
  const bearer = config.http.auth.bearer;
  if (!bearer) {
    if (!config.console.inAzure && isLoopbackHost(url.hostname)) return;
    throw new AppError(
      'CONSOLE_SIGN_IN_NOT_CONFIGURED',
      'The console needs sign-in here: set AUTH_TENANT_ID, AUTH_AUDIENCE, CONSOLE_CLIENT_ID and CONSOLE_API_SCOPE',
      401,
    );
  }
  if (!request.headers.get('authorization')) {
    throw new AppError('UNAUTHENTICATED', 'Sign in: the console API needs an Entra token with an EntraOps app role', 401);
  }
  const caller = await callerOf(request, config.http.auth);
  if (caller.via !== 'bearer') throw new AppError('UNAUTHENTICATED', 'The console API accepts Entra bearer tokens only', 401);
  const allowed = READ.has(request.method) ? [ADMIN_ROLE, READER_ROLE] : [ADMIN_ROLE];
  if (!caller.roles.some((r) => allowed.includes(r))) {
    throw new AppError('FORBIDDEN', `This call needs the app role ${allowed.join(' or ')}`, 403, { roles: caller.roles });
  }
}

interface Match {
  readonly def: Extract<FunctionDefinition, { kind: 'http' }>;
  readonly params: Record<string, string>;
  readonly literals: number;
}

/** Route templates as the Functions host reads them (`{name}`, `{name:constraint}`, `{*rest}`; literals win). */
export function matchApiRoute(
  functions: readonly FunctionDefinition[],
  method: string,
  path: string,
): Omit<Match, 'literals'> | undefined {
  const parts = path.split('/').filter(Boolean);
  let best: Match | undefined;
  for (const def of functions) {
    if (def.kind !== 'http' || def.options.authLevel !== 'function') continue;
    if (!(def.options.methods ?? []).includes(method as never)) continue;
    const template = (def.options.route ?? def.name).split('/').filter(Boolean);
    if (template.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    const ok = template.every((seg, i) => {
      const actual = parts[i] ?? '';
      const param = /^\{([A-Za-z_]\w*)(?::[^}]+)?\}$/.exec(seg);
      if (param?.[1]) {
        params[param[1]] = actual;
        return true;
      }
      literals += 1;
      return seg.toLowerCase() === actual.toLowerCase();
    });
    if (ok && (!best || literals > best.literals)) best = { def, params, literals };
  }
  return best && { def: best.def, params: best.params };
}

export async function forwardToApi(
  request: HttpRequest,
  context: InvocationContext,
  config: AppConfig,
  functions: readonly FunctionDefinition[],
): Promise<HttpResponseInit> {
  try {
    await checkConsoleCaller(request, config);
  } catch (err) {
    if (err instanceof AppError) return errorResponse(err, err.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    throw err;
  }
  const path = request.params.path ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return errorResponse(new AppError('INVALID_PATH', 'The path is not valid percent-encoding', 400));
  }
  const match = matchApiRoute(functions, request.method, decoded);
  if (!match) return errorResponse(new AppError('NOT_FOUND', `No API route for ${request.method} /api/${decoded}`, 404));
  const url = new URL(request.url);
  const body = READ.has(request.method) ? undefined : Buffer.from(await request.arrayBuffer());
  const forwarded = new HttpRequest({
    method: request.method,
    url: `${url.origin}/api/${path}${url.search}`,
    headers: Object.fromEntries(request.headers.entries()),
    params: match.params,
    ...(body && body.length > 0 && { body: { bytes: body } }),
  });
  return await match.def.options.handler(forwarded, context);
}
