import { HttpRequest, InvocationContext } from '@azure/functions';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type AppConfig, loadConfig } from '../../shared/config';
import { AppError } from '../../shared/errors';
import { authorize, callerOf } from '../../shared/http/auth';
import { createEntraTokenValidator } from '../../shared/http/entraToken';
import { httpHandler } from '../../shared/http/handler';
import { json } from '../../shared/http/respond';
import { buildServices, setServices } from '../../shared/runtime/services';
import { bearerSettings, type EntraIssuer, startEntraIssuer } from '../helpers/entraIssuer';

const base = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  GRAPH_AUTH: 'static',
  GRAPH_STATIC_TOKEN: 't',
  GRAPH_BASE_URL: 'http://127.0.0.1:9',
};

const principal = (claims: { typ: string; val: string }[]) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', name_typ: 'preferred_username', role_typ: 'roles', claims })).toString('base64');

const request = (method: string, headers: Record<string, string> = {}) =>
  new HttpRequest({ method, url: 'http://localhost/api/sync/jobs', headers });

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function statusOf(fn: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.status : -1;
  }
}

let issuer: EntraIssuer & { audience: string };
let http: AppConfig['http'];

beforeAll(async () => {
  issuer = await startEntraIssuer();
  http = loadConfig({ ...base, ...bearerSettings(issuer), REQUIRE_APP_ROLES: 'true' }).http;
});
afterAll(() => issuer.close());
afterEach(() => {
  issuer.failing = false;
});

describe('Entra bearer tokens', () => {
  it('accepts a token signed with the tenant published key and names the caller from it', async () => {
    const token = await issuer.sign({ preferred_username: 'alice@contoso.example', oid: 'oid-alice' });
    await expect(authorize(request('POST', bearer(token)), 'write', http)).resolves.toMatchObject({
      name: 'alice@contoso.example',
      objectId: 'oid-alice',
      via: 'bearer',
      roles: ['EntraOps.Admin'],
    });
  });

  it('lets readers read but not write, and refuses a token without an EntraOps role', async () => {
    const reader = await issuer.sign({ roles: ['EntraOps.Reader'] });
    await expect(authorize(request('GET', bearer(reader)), 'read', http)).resolves.toMatchObject({ via: 'bearer' });
    expect(await statusOf(() => authorize(request('POST', bearer(reader)), 'write', http))).toBe(403);
    const none = await issuer.sign({ roles: undefined });
    expect(await statusOf(() => authorize(request('GET', bearer(none)), 'read', http))).toBe(403);
  });

  it('names app-only callers by their client id', async () => {
    const token = await issuer.sign({ preferred_username: undefined, azp: 'a0a0a0a0-1111-2222-3333-444444444444' });
    await expect(callerOf(request('GET', bearer(token)), http.auth)).resolves.toMatchObject({
      name: 'app:a0a0a0a0-1111-2222-3333-444444444444',
    });
  });

  it('accepts a v1.0 token issued by sts.windows.net for the Application ID URI audience', async () => {
    const uriHttp = loadConfig({
      ...base,
      ...bearerSettings(issuer),
      AUTH_AUDIENCE: `${issuer.audience}, api://entra-ops`,
    }).http;
    const token = await issuer.sign({ iss: issuer.issuerV1, aud: 'api://entra-ops', ver: '1.0', upn: 'bob@contoso.example' });
    await expect(callerOf(request('GET', bearer(token)), uriHttp.auth)).resolves.toMatchObject({ via: 'bearer' });
  });

  it.each([
    ['another audience', { aud: 'api://someone-else' }],
    ['another tenant as issuer', { iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0' }],
    ['a tid that is not the tenant', { tid: '00000000-0000-0000-0000-000000000001' }],
    ['expired beyond the clock skew', { exp: Math.floor(Date.now() / 1000) - 301, iat: Math.floor(Date.now() / 1000) - 4000 }],
    ['not valid before a future time beyond the skew', { nbf: Math.floor(Date.now() / 1000) + 600 }],
    ['no object id', { oid: undefined }],
  ])('refuses a token with %s (401)', async (_what, claims) => {
    const token = await issuer.sign(claims);
    expect(await statusOf(() => callerOf(request('GET', bearer(token)), http.auth))).toBe(401);
  });

  it('tolerates expiry within the configured clock skew', async () => {
    const token = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 120 });
    await expect(callerOf(request('GET', bearer(token)), http.auth)).resolves.toMatchObject({ via: 'bearer' });
    const strict = loadConfig({ ...base, ...bearerSettings(issuer), AUTH_CLOCK_SKEW_SECONDS: '0' }).http;
    expect(await statusOf(() => callerOf(request('GET', bearer(token)), strict.auth))).toBe(401);
  });

  it('refuses forged tokens: an unpublished key, a tampered payload, alg none and HS256', async () => {
    const forged = await issuer.sign({}, { unpublishedKey: true });
    const stolenKid = await issuer.sign({}, { unpublishedKey: true, kid: 'not-a-published-kid' });
    const [h, p, s] = (await issuer.sign({ roles: ['EntraOps.Reader'] })).split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, roles: ['EntraOps.Admin'] })).toString('base64url'), s].join(
      '.',
    );
    const none = [Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'), p, ''].join('.');
    const hs256 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
    for (const token of [forged, stolenKid, tampered, none, hs256]) {
      expect(await statusOf(() => callerOf(request('GET', bearer(token)), http.auth))).toBe(401);
    }
  });

  it('refuses an Authorization header that is not a bearer JWT', async () => {
    for (const value of ['Basic YTpi', 'Bearer not-a-jwt', 'Bearer ']) {
      expect(await statusOf(() => callerOf(request('GET', { authorization: value }), http.auth))).toBe(401);
    }
  });

  it('reads the metadata and keys once for many calls (cached per process)', async () => {
    const own = await startEntraIssuer();
    try {
      const ownHttp = loadConfig({ ...base, ...bearerSettings(own) }).http;
      for (let i = 0; i < 5; i++) await callerOf(request('GET', bearer(await own.sign())), ownHttp.auth);
      expect(own.requestCount('metadata')).toBe(2); // v2.0 and v1.0 documents, once each
      expect(own.requestCount('keys')).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('fetches the key set again when a token names a new key after rollover', async () => {
    const own = await startEntraIssuer();
    try {
      const settings = loadConfig({ ...base, ...bearerSettings(own) }).http.auth.bearer;
      if (!settings) throw new Error('bearer settings expected');
      const validator = createEntraTokenValidator(settings, { keyRefetchCooldownMs: 0 });
      await validator.verify(await own.sign());
      await own.rotate({ retireOld: true });
      await expect(validator.verify(await own.sign({ preferred_username: 'after@contoso.example' }))).resolves.toMatchObject({
        name: 'after@contoso.example',
      });
      expect(own.requestCount('keys')).toBe(2);
    } finally {
      await own.close();
    }
  });

  it('answers 503 while the metadata cannot be read, and recovers without a restart', async () => {
    const own = await startEntraIssuer();
    try {
      const ownHttp = loadConfig({ ...base, ...bearerSettings(own) }).http;
      own.failing = true;
      expect(await statusOf(async () => callerOf(request('GET', bearer(await own.sign())), ownHttp.auth))).toBe(503);
      own.failing = false;
      await expect(callerOf(request('GET', bearer(await own.sign())), ownHttp.auth)).resolves.toMatchObject({ via: 'bearer' });
    } finally {
      await own.close();
    }
  });
});

describe('App Service principal header', () => {
  const admin = principal([
    { typ: 'preferred_username', val: 'admin@contoso.com' },
    { typ: 'roles', val: 'EntraOps.Admin' },
  ]);
  const easyAuth = loadConfig({ ...base, WEBSITE_AUTH_ENABLED: 'True', REQUIRE_APP_ROLES: 'true' }).http;

  it('is ignored unless App Service authentication is on: a key holder cannot choose the audit actor', async () => {
    const keysOnly = loadConfig(base).http;
    await expect(callerOf(request('POST', { 'x-ms-client-principal': admin }), keysOnly.auth)).resolves.toMatchObject({
      name: 'function-key',
      authenticated: false,
      via: 'functionKey',
    });
    // With bearer validation only, the header proves nothing either.
    expect(await statusOf(() => authorize(request('POST', { 'x-ms-client-principal': admin }), 'write', http))).toBe(401);
  });

  it('is trusted when App Service authentication runs in front of the app', async () => {
    await expect(authorize(request('DELETE', { 'x-ms-client-principal': admin }), 'write', easyAuth)).resolves.toMatchObject({
      name: 'admin@contoso.com',
      via: 'appService',
    });
    const reader = principal([{ typ: 'roles', val: 'EntraOps.Reader' }]);
    expect(await statusOf(() => authorize(request('POST', { 'x-ms-client-principal': reader }), 'write', easyAuth))).toBe(403);
  });

  it('rejects a malformed principal header with 401', async () => {
    expect(await statusOf(() => callerOf(request('GET', { 'x-ms-client-principal': 'not base64 json' }), easyAuth.auth))).toBe(
      401,
    );
  });

  it('requires a signed-in caller when app roles are required', async () => {
    expect(await statusOf(() => authorize(request('GET'), 'read', easyAuth))).toBe(401);
  });
});

describe('httpHandler with bearer validation', () => {
  afterEach(() => setServices(undefined));

  it('passes the verified caller to the route and answers 401 with WWW-Authenticate otherwise', async () => {
    setServices(buildServices(loadConfig({ ...base, ...bearerSettings(issuer), REQUIRE_APP_ROLES: 'true' })));
    const handler = httpHandler(async ({ caller }) => json(200, { actor: caller.name }));
    const context = () => new InvocationContext({ invocationId: 'inv', functionName: 'x', logHandler: () => undefined });
    const token = await issuer.sign({ preferred_username: 'carol@contoso.example' });
    await expect(handler(request('POST', bearer(token)), context())).resolves.toMatchObject({
      status: 200,
      jsonBody: { actor: 'carol@contoso.example' },
    });
    const refused = await handler(request('POST', bearer(await issuer.sign({}, { unpublishedKey: true }))), context());
    expect(refused).toMatchObject({ status: 401, jsonBody: { error: { code: 'INVALID_TOKEN' } } });
    expect(refused.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
  });
});
