import { type HttpHandler, HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll } from 'vitest';

import { type AzuriteInstance, startAzurite } from '../../local/azurite';
import { type GraphSandbox, type SandboxKnobs, startGraphSandbox } from '../../local/sandbox';
import { setServices } from '../../shared/runtime/services';

/**
 * Real Azurite and the Graph sandbox (demo tenant, real throttling: CA 1 request/s, sign-in logs 5 per 10 s) over HTTP,
 * with process.env pointing the app at them; handlers get real HttpRequest/InvocationContext objects.
 */
export interface CaHarness {
  readonly sandbox: GraphSandbox;
  readonly azurite: AzuriteInstance;
}

export function useCaHarness(env: Readonly<Record<string, string>> = {}): { readonly current: CaHarness } {
  let h: CaHarness | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    const [azurite, sandbox] = await Promise.all([startAzurite({ inMemory: true }), startGraphSandbox()]);
    h = { azurite, sandbox };
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sandbox.url,
      GRAPH_AUTH: 'static',
      GRAPH_STATIC_TOKEN: 'ca-tests',
      GRAPH_MAX_BACKOFF_MS: '400',
      LOG_LEVEL: 'silent',
      ...env,
    });
    setServices(undefined);
  });
  afterAll(async () => {
    setServices(undefined);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await Promise.all([h?.sandbox.close(), h?.azurite.stop()]);
  });
  return {
    get current(): CaHarness {
      if (!h) throw new Error('harness not started');
      return h;
    },
  };
}

export interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
}

export async function call(
  handler: HttpHandler,
  options: CallOptions = {},
): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } } }> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const request = new HttpRequest({
    method: options.method ?? 'GET',
    url: `http://localhost/api/ca${query ? `?${query}` : ''}`,
    headers: text === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' },
    params: options.params ?? {},
    ...(text === undefined ? {} : { body: { string: text } }),
  });
  const context = new InvocationContext({ invocationId: 'test', functionName: 'ca' });
  const res: HttpResponseInit = await handler(request, context);
  return { status: res.status ?? 200, body: (res.jsonBody ?? {}) as Record<string, unknown> };
}

/** Calls the sandbox as a tenant admin would (another app: its own token). */
export async function graphAdmin(
  h: CaHarness,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  // The admin shares the tenant's 1 request/s Conditional Access budget with the app: wait out its 429s.
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${h.sandbox.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(path.startsWith('/_sandbox') ? {} : { authorization: 'Bearer test-admin' }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    if (res.status === 429 && attempt < 40) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
}

export const setKnobs = (h: CaHarness, knobs: Partial<SandboxKnobs>) =>
  graphAdmin(h, '/_sandbox/knobs', { method: 'POST', body: knobs });
export const resetSandbox = (h: CaHarness) => graphAdmin(h, '/_sandbox/reset', { method: 'POST' });
