/**
 * One test file's real stack: Azurite (in memory) and the Graph sandbox on free loopback ports, with process.env
 * pointing the app's services at them for the file, and the environment and services restored afterwards. Each
 * capability's harness adds its own settings and fields on top.
 */

import { afterAll, beforeAll } from 'vitest';

import { type AzuriteInstance, startAzurite } from '../../local/azurite';
import { type GraphSandbox, startGraphSandbox, type StartOptions } from '../../local/sandbox';
import { setServices } from '../../shared/runtime/services';

export interface AppStack {
  readonly sandbox: GraphSandbox;
  readonly azurite: AzuriteInstance;
}

/** Settings every harness sets: storage and Graph point at this stack, with a static sandbox token. */
export const stackSettings = (stack: AppStack, token: string): Record<string, string> => ({
  AzureWebJobsStorage: stack.azurite.connectionString,
  GRAPH_BASE_URL: stack.sandbox.url,
  GRAPH_AUTH: 'static',
  GRAPH_STATIC_TOKEN: token,
});

export function useAppStack<H extends AppStack>(
  build: (stack: AppStack) => { readonly harness: H; readonly env: Readonly<Record<string, string>> },
  sandboxOptions: StartOptions = {},
): { readonly current: H } {
  let h: H | undefined;
  const saved = { ...process.env };
  beforeAll(async () => {
    const [azurite, sandbox] = await Promise.all([startAzurite({ inMemory: true }), startGraphSandbox(sandboxOptions)]);
    const built = build({ azurite, sandbox });
    h = built.harness;
    Object.assign(process.env, built.env);
    setServices(undefined);
  });
  afterAll(async () => {
    setServices(undefined);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await Promise.all([h?.sandbox.close(), h?.azurite.stop()]);
  });
  return {
    get current(): H {
      if (!h) throw new Error('harness not started');
      return h;
    },
  };
}
