/**
 * Real Azurite and the Graph sandbox (demo tenant, real throttling: CA 1 request/s, sign-in logs 5 per 10 s) over HTTP,
 * with process.env pointing the app at them; handlers get real HttpRequest/InvocationContext objects.
 */

import { type SandboxKnobs } from '../../local/sandbox';
import { type AppStack, stackSettings, useAppStack } from '../helpers/appStack';

export type CaHarness = AppStack;

export function useCaHarness(env: Readonly<Record<string, string>> = {}): { readonly current: CaHarness } {
  return useAppStack((stack) => ({
    harness: stack,
    env: { ...stackSettings(stack, 'ca-tests'), GRAPH_MAX_BACKOFF_MS: '400', LOG_LEVEL: 'silent', ...env },
  }));
}

export { call, type CallOptions } from '../sync/harness';

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
