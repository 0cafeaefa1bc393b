import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';

import type { AppConfig, AuthSettings } from '../config';
import { AppError } from '../errors';
import { entraTokenValidator } from './entraToken';

/**
 * The one caller check of every HTTP route (`httpHandler` calls `authorize`). Function keys are enforced by the
 * Functions host; on top of that a caller proves who they are and which app role they hold with:
 * - an Entra bearer token, validated in the app (`AUTH_TENANT_ID` + `AUTH_AUDIENCE`). Preferred: Flex Consumption's
 *   App Service authentication is documented as limited, so the app does not rely on the platform blocking callers;
 * - the `x-ms-client-principal` header, only when App Service authentication runs in front of the app
 *   (`WEBSITE_AUTH_ENABLED`): the platform then strips client-sent copies and injects its own. Without it, the header
 *   is ignored, so a function-key holder cannot pick the name the audit log records.
 * Readers may GET; writes need EntraOps.Admin. Details: docs/security.md.
 */
export const ADMIN_ROLE = 'EntraOps.Admin';
export const READER_ROLE = 'EntraOps.Reader';
export type Access = 'read' | 'write';

export interface Caller {
  /** Recorded as the audit actor: a verified name, or `function-key` when the caller proved no identity. */
  readonly name: string;
  readonly objectId?: string;
  readonly roles: readonly string[];
  readonly authenticated: boolean;
  readonly via: 'bearer' | 'appService' | 'functionKey';
}

export const FUNCTION_KEY_CALLER: Caller = Object.freeze({
  name: 'function-key',
  roles: [],
  authenticated: false,
  via: 'functionKey',
});

const principalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
});

const ROLE_CLAIMS = new Set(['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);
const NAME_CLAIMS = ['preferred_username', 'upn', 'name', 'appid', 'azp'];
const OID_CLAIMS = ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'];

/** The App Service principal; call only when the platform injected it (App Service authentication on). */
export function appServicePrincipal(header: string): Caller {
  let parsed: z.output<typeof principalSchema>;
  try {
    parsed = principalSchema.parse(JSON.parse(Buffer.from(header, 'base64').toString('utf8')));
  } catch {
    throw new AppError('INVALID_PRINCIPAL', 'The x-ms-client-principal header is not a valid App Service principal', 401);
  }
  const claim = (typ: string | undefined) => (typ ? parsed.claims.find((c) => c.typ === typ)?.val : undefined);
  const roles = parsed.claims.filter((c) => ROLE_CLAIMS.has(c.typ) || c.typ === parsed.role_typ).map((c) => c.val);
  const name = claim(parsed.name_typ) ?? NAME_CLAIMS.map(claim).find(Boolean) ?? 'unknown-principal';
  const objectId = OID_CLAIMS.map(claim).find(Boolean);
  return { name, roles, authenticated: true, via: 'appService', ...(objectId && { objectId }) };
}

const BEARER = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)\s*$/i;

/** Who is calling, from the sources this deployment trusts; throws 401 for a presented credential that fails. */
export async function callerOf(req: HttpRequest, auth: AuthSettings): Promise<Caller> {
  const authorization = req.headers.get('authorization');
  if (auth.bearer && authorization) {
    const match = BEARER.exec(authorization);
    if (!match?.[1]) throw new AppError('INVALID_TOKEN', 'The Authorization header is not a bearer JWT', 401);
    const token = await entraTokenValidator(auth.bearer).verify(match[1]);
    return { name: token.name, objectId: token.objectId, roles: token.roles, authenticated: true, via: 'bearer' };
  }
  const header = req.headers.get('x-ms-client-principal');
  if (auth.appServiceAuth && header) return appServicePrincipal(header);
  return FUNCTION_KEY_CALLER;
}

/** Throws 401/403 when app roles are required and the caller lacks the one this access needs. */
export async function authorize(req: HttpRequest, access: Access, http: AppConfig['http']): Promise<Caller> {
  const caller = await callerOf(req, http.auth);
  if (!http.requireAppRoles) return caller;
  if (!caller.authenticated) {
    throw new AppError('UNAUTHENTICATED', 'Sign in: this API requires an Entra token with an EntraOps app role', 401);
  }
  const allowed = access === 'read' ? [ADMIN_ROLE, READER_ROLE] : [ADMIN_ROLE];
  if (!caller.roles.some((r) => allowed.includes(r))) {
    throw new AppError('FORBIDDEN', `This call needs the app role ${allowed.join(' or ')}`, 403, { roles: caller.roles });
  }
  return caller;
}
