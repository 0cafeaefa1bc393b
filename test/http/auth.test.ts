import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { AppError } from '../../shared/errors';
import { authorize, callerOf } from '../../shared/http/auth';

const principal = (claims: { typ: string; val: string }[]) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', name_typ: 'preferred_username', role_typ: 'roles', claims })).toString('base64');

const request = (method: string, header?: string) =>
  new HttpRequest({
    method,
    url: 'http://localhost/api/sync/jobs',
    headers: header ? { 'x-ms-client-principal': header } : {},
  });

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.status : -1;
  }
}

describe('app-role authorization', () => {
  it('lets function-key callers through when App Service authentication is off', () => {
    expect(authorize(request('POST'), 'write', false)).toMatchObject({ name: 'function-key', authenticated: false });
  });

  it('requires a signed-in principal when app roles are required', () => {
    expect(statusOf(() => authorize(request('GET'), 'read', true))).toBe(401);
  });

  it('lets readers read but not write', () => {
    const header = principal([
      { typ: 'preferred_username', val: 'reader@contoso.com' },
      { typ: 'roles', val: 'EntraOps.Reader' },
    ]);
    expect(authorize(request('GET', header), 'read', true).name).toBe('reader@contoso.com');
    expect(statusOf(() => authorize(request('POST', header), 'write', true))).toBe(403);
  });

  it('lets admins write', () => {
    const header = principal([
      { typ: 'preferred_username', val: 'admin@contoso.com' },
      { typ: 'roles', val: 'EntraOps.Admin' },
    ]);
    expect(authorize(request('DELETE', header), 'write', true).roles).toEqual(['EntraOps.Admin']);
  });

  it('rejects a malformed principal header with 401', () => {
    expect(statusOf(() => callerOf(request('GET', 'not base64 json')))).toBe(401);
  });
});
