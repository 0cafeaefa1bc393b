import { type AccessToken, DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

import type { AppConfig } from '../config';
import { GraphError } from './errors';

/** What the gateway needs from authentication: a bearer token for Graph, cached and refreshed behind the scenes. */
export interface GraphTokenProvider {
  getToken(signal?: AbortSignal): Promise<string>;
  /** Drops a cached token Graph refused (401), so the next `getToken` asks the credential again. */
  invalidate?(): void;
}

/** Refresh this long before expiry, so a token never expires between being handed out and reaching Graph. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The token scope for a Graph base URL: `https://graph.microsoft.com/.default`, or the national cloud's own host
 * (`https://graph.microsoft.us/.default`, `https://microsoftgraph.chinacloudapi.cn/.default`, ...).
 * https://learn.microsoft.com/graph/deployments
 */
export function graphScope(baseUrl: string): string {
  return `${new URL(baseUrl).origin}/.default`;
}

/**
 * Wraps any `TokenCredential` (managed identity in Azure, DefaultAzureCredential locally, a fake in tests): caches the
 * token until `TOKEN_REFRESH_MARGIN_MS` before it expires (or the credential's `refreshAfterTimestamp`) and lets
 * concurrent callers share one fetch.
 */
export function tokenProviderFromCredential(
  credential: TokenCredential,
  scope: string,
  now: () => number = Date.now,
): GraphTokenProvider {
  let cached: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  const fresh = (t: AccessToken | undefined): t is AccessToken => {
    if (!t) return false;
    const refreshAt = Math.min(
      t.expiresOnTimestamp - TOKEN_REFRESH_MARGIN_MS,
      t.refreshAfterTimestamp ?? Number.POSITIVE_INFINITY,
    );
    return now() < refreshAt;
  };

  const fetchToken = async (): Promise<AccessToken> => {
    let token: AccessToken | null;
    try {
      token = await credential.getToken(scope);
    } catch (e) {
      throw new GraphError({ kind: 'auth', message: `Could not get a Graph token for ${scope}`, cause: e });
    }
    if (!token?.token) throw new GraphError({ kind: 'auth', message: `The credential returned no Graph token for ${scope}` });
    return token;
  };

  return {
    async getToken(signal?: AbortSignal): Promise<string> {
      signal?.throwIfAborted();
      if (fresh(cached)) return cached.token;
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      cached = await inFlight;
      return cached.token;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** A fixed token; only for the local Graph sandbox (config refuses it for any other base URL). */
export function staticTokenProvider(token: string): GraphTokenProvider {
  if (token === '') throw new GraphError({ kind: 'auth', message: 'The static Graph token is empty' });
  return { getToken: async () => token };
}

/**
 * Token provider from the app settings: `managedIdentity` (user-assigned when a client id is set), `default`
 * (DefaultAzureCredential: az login, VS Code, env vars...) or `static` (sandbox). A `credential` passed in wins over
 * the setting, so tests and local tools can inject any `TokenCredential`.
 */
export function createGraphTokenProvider(config: AppConfig['graph'], credential?: TokenCredential): GraphTokenProvider {
  if (credential) return tokenProviderFromCredential(credential, graphScope(config.baseUrl));
  switch (config.auth) {
    case 'static':
      return staticTokenProvider(config.staticToken ?? '');
    case 'managedIdentity':
      return tokenProviderFromCredential(
        config.managedIdentityClientId
          ? new ManagedIdentityCredential({ clientId: config.managedIdentityClientId })
          : new ManagedIdentityCredential(),
        graphScope(config.baseUrl),
      );
    case 'default':
      return tokenProviderFromCredential(
        new DefaultAzureCredential(
          config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : undefined,
        ),
        graphScope(config.baseUrl),
      );
  }
}
