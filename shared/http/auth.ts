/**
 * Admin routes use function keys (enforced by the Functions host) and, when App Service authentication is on,
 * app roles from the `x-ms-client-principal` header that the platform injects (clients cannot forge it behind
 * App Service auth). Readers may GET; writes need EntraOps.Admin.
 */

import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';

import { AppError } from '../errors';

export const ADMIN_ROLE = 'EntraOps.Admin';
export const READER_ROLE = 'EntraOps.Reader';
export type Access = 'read' | 'write';

const principalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
});

export interface Caller {
  readonly name: string;
  readonly roles: readonly string[];
  readonly authenticated: boolean;
}

const ROLE_CLAIMS = new Set(['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);
const NAME_CLAIMS = ['preferred_username', 'upn', 'name', 'appid', 'azp', 'oid'];

export function callerOf(req: HttpRequest): Caller {
  const header = req.headers.get('x-ms-client-principal');
  if (!header) return { name: 'function-key', roles: [], authenticated: false };
  let parsed: z.output<typeof principalSchema>;
  try {
    parsed = principalSchema.parse(JSON.parse(Buffer.from(header, 'base64').toString('utf8')));
  } catch {
    throw new AppError('INVALID_PRINCIPAL', 'The x-ms-client-principal header is not a valid App Service principal', 401);
  }
  const roleType = parsed.role_typ;
  const roles = parsed.claims.filter((c) => ROLE_CLAIMS.has(c.typ) || c.typ === roleType).map((c) => c.val);
  const nameType = parsed.name_typ;
  const name =
    parsed.claims.find((c) => c.typ === nameType)?.val ??
    NAME_CLAIMS.map((t) => parsed.claims.find((c) => c.typ === t)?.val).find(Boolean) ??
    'unknown-principal';
  return { name, roles, authenticated: true };
}

/** Throws 401/403 when app roles are required and the caller lacks the one this access needs. */
export function authorize(req: HttpRequest, access: Access, requireAppRoles: boolean): Caller {
  const caller = callerOf(req);
  if (!requireAppRoles) return caller;
  if (!caller.authenticated) {
    throw new AppError('UNAUTHENTICATED', 'Sign in: this API requires App Service authentication with an app role', 401);
  }
  const allowed = access === 'read' ? [ADMIN_ROLE, READER_ROLE] : [ADMIN_ROLE];
  if (!caller.roles.some((r) => allowed.includes(r))) {
    throw new AppError('FORBIDDEN', `This call needs the app role ${allowed.join(' or ')}`, 403, { roles: caller.roles });
  }
  return caller;
}
