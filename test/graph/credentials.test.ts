import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';

import type { AppConfig } from '../../shared/config';
import {
  createGraphTokenProvider,
  graphScope,
  TOKEN_REFRESH_MARGIN_MS,
  tokenProviderFromCredential,
} from '../../shared/graph/credentials';
import { GraphError } from '../../shared/graph/errors';

const HOUR = 3_600_000;

function fakeCredential(now: () => number) {
  const scopes: string[] = [];
  let n = 0;
  const credential: TokenCredential = {
    getToken: async (scope) => {
      scopes.push(Array.isArray(scope) ? scope.join(' ') : String(scope));
      n++;
      await Promise.resolve();
      return { token: `token-${n}`, expiresOnTimestamp: now() + HOUR } satisfies AccessToken;
    },
  };
  return { credential, scopes, calls: () => n };
}

describe('graphScope', () => {
  it('uses the cloud root of the base URL', () => {
    expect(graphScope('https://graph.microsoft.com')).toBe('https://graph.microsoft.com/.default');
    expect(graphScope('https://graph.microsoft.us')).toBe('https://graph.microsoft.us/.default');
    expect(graphScope('https://microsoftgraph.chinacloudapi.cn/')).toBe('https://microsoftgraph.chinacloudapi.cn/.default');
  });
});

describe('tokenProviderFromCredential', () => {
  it('reuses a token until five minutes before it expires', async () => {
    let t = 1_000_000;
    const fake = fakeCredential(() => t);
    const provider = tokenProviderFromCredential(fake.credential, 'https://graph.microsoft.com/.default', () => t);
    expect(await provider.getToken()).toBe('token-1');
    t += HOUR - TOKEN_REFRESH_MARGIN_MS - 1;
    expect(await provider.getToken()).toBe('token-1');
    t += 1;
    expect(await provider.getToken()).toBe('token-2');
    expect(fake.scopes).toEqual(['https://graph.microsoft.com/.default', 'https://graph.microsoft.com/.default']);
  });

  it('makes one credential call for concurrent callers', async () => {
    const fake = fakeCredential(Date.now);
    const provider = tokenProviderFromCredential(fake.credential, 's/.default');
    const tokens = await Promise.all(Array.from({ length: 10 }, () => provider.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(fake.calls()).toBe(1);
  });

  it('turns a credential failure into an auth GraphError and tries again next time', async () => {
    let fail = true;
    const credential: TokenCredential = {
      getToken: async () => {
        if (fail) throw new Error('ManagedIdentityCredential: network unreachable');
        return { token: 'ok', expiresOnTimestamp: Date.now() + HOUR };
      },
    };
    const provider = tokenProviderFromCredential(credential, 's/.default');
    await expect(provider.getToken()).rejects.toMatchObject({ kind: 'auth' });
    fail = false;
    expect(await provider.getToken()).toBe('ok');
  });
});

describe('createGraphTokenProvider', () => {
  const config: AppConfig['graph'] = {
    baseUrl: 'http://127.0.0.1:7072',
    auth: 'static',
    staticToken: 'sandbox-app',
    maxConcurrency: 4,
    maxRetries: 3,
    maxBackoffMs: 1000,
  };

  it('hands out the static token for the sandbox', async () => {
    expect(await createGraphTokenProvider(config).getToken()).toBe('sandbox-app');
  });

  it('refuses an empty static token', () => {
    expect(() => createGraphTokenProvider({ ...config, staticToken: '' })).toThrow(GraphError);
  });

  it('prefers an injected credential over the setting', async () => {
    const fake = fakeCredential(Date.now);
    const provider = createGraphTokenProvider(
      { ...config, baseUrl: 'https://graph.microsoft.us', auth: 'managedIdentity' },
      fake.credential,
    );
    expect(await provider.getToken()).toBe('token-1');
    expect(fake.scopes).toEqual(['https://graph.microsoft.us/.default']);
  });
});
