import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { allFunctions } from '../../functions/catalog';
import { consoleApiHandler } from '../../functions/consoleApi';
import { loadConfig } from '../../shared/config';
import { forwardToApi, matchApiRoute } from '../../shared/console/gateway';
import { json } from '../../shared/http/respond';
import { buildServices, setServices } from '../../shared/runtime/services';
import { bearerSettings, type EntraIssuer, startEntraIssuer } from '../helpers/entraIssuer';

/**
 * The console's API door: anonymous at the host, so every call must authenticate in the app. Real signed tokens
 * from a local issuer (test/helpers/entraIssuer.ts); the forwarded route is a stand-in definition that echoes what
 * it received, so the checks are on the door itself.
 */
const base = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  GRAPH_AUTH: 'static',
  GRAPH_STATIC_TOKEN: 't',
  GRAPH_BASE_URL: 'http://127.0.0.1:9',
};
const echo = {
  kind: 'http' as const,
  name: 'echo',
  options: {
    route: 'sync/jobs/{jobId}/run',
    methods: ['GET' as const, 'POST' as const],
    authLevel: 'function' as const,
    handler: async (req: HttpRequest): Promise<HttpResponseInit> =>
      json(200, { params: req.params, url: req.url, body: await req.text() }),
  },
};
const context = () => new InvocationContext({ invocationId: 'inv', functionName: 'consoleApi', logHandler: () => undefined });
const call = (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  host = 'https://ops.example.net',
  body?: string,
) =>
  new HttpRequest({
    method,
    url: `${host}/api/console/api/${path}`,
    headers,
    params: { path: path.split('?')[0] ?? '' },
    ...(body !== undefined && { body: { string: body } }),
  });

let issuer: EntraIssuer & { audience: string };
beforeAll(async () => {
  issuer = await startEntraIssuer();
});
afterAll(() => issuer.close());
afterEach(() => setServices(undefined));

describe('console API door in Azure (bearer tokens)', () => {
  const config = () => loadConfig({ ...base, ...bearerSettings(issuer), WEBSITE_SITE_NAME: 'entra-ops-prod' });
  const bearer = async (roles: string[] | undefined) => ({ authorization: `Bearer ${await issuer.sign({ roles })}` });

  it('forwards an admin token to the route with its parameters, query and body', async () => {
    const res = await forwardToApi(
      call(
        'POST',
        'sync/jobs/abc/run?dryRun=true',
        { ...(await bearer(['EntraOps.Admin'])), origin: 'https://ops.example.net' },
        undefined,
        'x',
      ),
      context(),
      config(),
      [echo],
    );
    expect(res).toMatchObject({
      status: 200,
      jsonBody: { params: { jobId: 'abc' }, url: 'https://ops.example.net/api/sync/jobs/abc/run?dryRun=true', body: 'x' },
    });
  });

  it('lets readers read and refuses their writes', async () => {
    const reader = await bearer(['EntraOps.Reader']);
    expect((await forwardToApi(call('GET', 'sync/jobs/abc/run', reader), context(), config(), [echo])).status).toBe(200);
    const write = await forwardToApi(call('POST', 'sync/jobs/abc/run', reader), context(), config(), [echo]);
    expect(write).toMatchObject({ status: 403, jsonBody: { error: { code: 'FORBIDDEN' } } });
  });

  it('refuses calls without a token, with a token and no role, with a forged token, and with only a principal header', async () => {
    const none = await forwardToApi(call('GET', 'sync/jobs/abc/run'), context(), config(), [echo]);
    expect(none).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer' } });
    expect(
      (await forwardToApi(call('GET', 'sync/jobs/abc/run', await bearer(undefined)), context(), config(), [echo])).status,
    ).toBe(403);
    const forged = { authorization: `Bearer ${await issuer.sign({ roles: ['EntraOps.Admin'] }, { unpublishedKey: true })}` };
    expect((await forwardToApi(call('GET', 'sync/jobs/abc/run', forged), context(), config(), [echo])).status).toBe(401);
    const principal = {
      'x-ms-client-principal': Buffer.from('{"claims":[{"typ":"roles","val":"EntraOps.Admin"}]}').toString('base64'),
    };
    expect((await forwardToApi(call('GET', 'sync/jobs/abc/run', principal), context(), config(), [echo])).status).toBe(401);
  });

  it('refuses cross-site writes even with a valid token', async () => {
    const admin = await bearer(['EntraOps.Admin']);
    const hostile: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of hostile) {
      const res = await forwardToApi(call('POST', 'sync/jobs/abc/run', { ...admin, ...headers }), context(), config(), [echo]);
      expect(res, JSON.stringify(headers)).toMatchObject({ status: 403, jsonBody: { error: { code: 'CROSS_SITE_REQUEST' } } });
    }
  });
});

describe('console API door without sign-in', () => {
  it('serves loopback callers on the local stack and refuses cross-site writes there', async () => {
    const local = loadConfig(base);
    expect(
      (await forwardToApi(call('GET', 'sync/jobs/abc/run', {}, 'http://127.0.0.1:7071'), context(), local, [echo])).status,
    ).toBe(200);
    const evil = call('POST', 'sync/jobs/abc/run', { origin: 'https://evil.example' }, 'http://127.0.0.1:7071');
    expect((await forwardToApi(evil, context(), local, [echo])).status).toBe(403);
  });

  it('forwards nothing in Azure or off loopback when bearer validation is not configured', async () => {
    const azure = loadConfig({ ...base, WEBSITE_SITE_NAME: 'entra-ops-prod' });
    const res = await forwardToApi(call('GET', 'sync/jobs/abc/run', {}, 'http://127.0.0.1:7071'), context(), azure, [echo]);
    expect(res).toMatchObject({ status: 401, jsonBody: { error: { code: 'CONSOLE_SIGN_IN_NOT_CONFIGURED' } } });
    expect(
      (await forwardToApi(call('GET', 'sync/jobs/abc/run', {}, 'http://10.0.0.4'), context(), loadConfig(base), [echo])).status,
    ).toBe(401);
  });

  it('answers 404 for paths that are no API route, and never forwards to the anonymous console routes', async () => {
    setServices(buildServices(loadConfig(base)));
    const res = await consoleApiHandler(call('GET', 'nope/nothing', {}, 'http://127.0.0.1:7071'), context());
    expect(res).toMatchObject({ status: 404, jsonBody: { error: { code: 'NOT_FOUND' } } });
    expect(matchApiRoute(allFunctions, 'GET', 'console/config')).toBeUndefined();
    expect(matchApiRoute(allFunctions, 'GET', 'console/api/health')).toBeUndefined();
    expect(matchApiRoute(allFunctions, 'GET', 'sync/runs/r1/members')?.def.name).toBe('syncRunMembers');
    expect(matchApiRoute(allFunctions, 'DELETE', 'sync/jobs/j1')?.params).toEqual({ jobId: 'j1' });
  });

  it('forwards the tickets and Conditional Access routes the console pages use', () => {
    const route = (method: string, path: string) => matchApiRoute(allFunctions, method, path);
    expect(route('GET', 'tickets')?.def.name).toBe('ticketsList');
    expect(route('GET', 'tickets/u1.20261202T101500Z')).toMatchObject({
      def: { name: 'ticketGet' },
      params: { ticketId: 'u1.20261202T101500Z' },
    });
    expect(route('POST', 'risk/poll')?.def.name).toBe('riskPoll');
    expect(route('GET', 'ca/backups')?.def.name).toBe('caBackupsList');
    expect(route('POST', 'ca/backups')?.def.name).toBe('caBackupsCreate');
    expect(route('GET', 'ca/backups/20261202T020000Z-1a2b3c/diff')).toMatchObject({
      def: { name: 'caBackupDiff' },
      params: { backupId: '20261202T020000Z-1a2b3c' },
    });
    expect(route('GET', 'ca/break-glass')?.def.name).toBe('caBreakGlassGet');
    expect(route('GET', 'ca/guest-risk')?.def.name).toBe('caGuestRisk');
  });
});
