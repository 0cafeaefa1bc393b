import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../shared/config';
import { AppError } from '../../shared/errors';
import { httpHandler } from '../../shared/http/handler';
import { json } from '../../shared/http/respond';
import { buildServices, setServices } from '../../shared/runtime/services';

const settings = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  GRAPH_AUTH: 'static',
  GRAPH_STATIC_TOKEN: 't',
  GRAPH_BASE_URL: 'http://127.0.0.1:9',
};

function run(handler: ReturnType<typeof httpHandler>, method = 'GET', extra: Record<string, string> = {}) {
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: 'inv-42',
    functionName: 'test',
    logHandler: (_l, ...a) => logs.push(a.map(String).join(' ')),
  });
  setServices(buildServices(loadConfig({ ...settings, ...extra })));
  return { logs, response: handler(new HttpRequest({ method, url: 'http://localhost/api/x' }), context) };
}

afterEach(() => setServices(undefined));

describe('httpHandler', () => {
  it('returns what the route returns', async () => {
    const { response } = run(
      httpHandler(async () => json(201, { id: 'a' })),
      'POST',
    );
    await expect(response).resolves.toMatchObject({ status: 201, jsonBody: { id: 'a' } });
  });

  it('maps an AppError to its status and the error model', async () => {
    const { response } = run(
      httpHandler(async () => {
        throw new AppError('SYNC_TARGET_IS_DYNAMIC', 'The target group is dynamic', 409, { groupId: 'g1' });
      }),
    );
    await expect(response).resolves.toMatchObject({
      status: 409,
      jsonBody: { error: { code: 'SYNC_TARGET_IS_DYNAMIC', message: 'The target group is dynamic', details: { groupId: 'g1' } } },
    });
  });

  it('answers an unexpected failure with 500 naming the invocation, without leaking the error', async () => {
    const { response, logs } = run(
      httpHandler(async () => {
        throw new Error('socket exploded at 10.1.2.3 with token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl');
      }),
    );
    const res = await response;
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.jsonBody)).not.toContain('socket exploded');
    expect(JSON.stringify(res.jsonBody)).toContain('inv-42');
    expect(logs.join('\n')).toContain('socket exploded');
    expect(logs.join('\n')).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });

  it('enforces app roles when required: writes need EntraOps.Admin', async () => {
    const { response } = run(
      httpHandler(async () => json(200, {})),
      'POST',
      { REQUIRE_APP_ROLES: 'true', WEBSITE_AUTH_ENABLED: 'True' },
    );
    await expect(response).resolves.toMatchObject({ status: 401, jsonBody: { error: { code: 'UNAUTHENTICATED' } } });
  });

  it('answers 503 CONFIGURATION_ERROR when the app settings are invalid', async () => {
    setServices(undefined);
    const saved = process.env.AzureWebJobsStorage;
    delete process.env.AzureWebJobsStorage;
    delete process.env.AzureWebJobsStorage__accountName;
    try {
      const context = new InvocationContext({ invocationId: 'inv-1', functionName: 'test', logHandler: () => undefined });
      const res = await httpHandler(async () => json(200, {}))(
        new HttpRequest({ method: 'GET', url: 'http://localhost/api/x' }),
        context,
      );
      expect(res).toMatchObject({ status: 503, jsonBody: { error: { code: 'CONFIGURATION_ERROR' } } });
    } finally {
      if (saved !== undefined) process.env.AzureWebJobsStorage = saved;
    }
  });
});
