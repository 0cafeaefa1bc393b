import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A local stand-in for Entra ID's token-signing side, on a free loopback port: the tenant's v2.0 and v1.0 OpenID
 * metadata documents and its JWKS, shaped like login.microsoftonline.com's, plus real RS256 tokens signed with keys
 * it publishes (or keys it does not). Counts every request so tests can check the app's caching. No network.
 */
export interface EntraIssuer {
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly issuerV2: string;
  readonly issuerV1: string;
  /** Requests per path (`/{tenant}/v2.0/.well-known/openid-configuration`, `/{tenant}/discovery/v2.0/keys`, ...). */
  readonly requests: Map<string, number>;
  requestCount(kind: 'metadata' | 'keys'): number;
  /** A token signed with the current published key; claims override the defaults (a valid admin user token). */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** Publishes a new key (keeps the old one published too unless `retireOld`), as Entra's rollover does. */
  rotate(options?: { retireOld?: boolean }): Promise<void>;
  /** Metadata and keys answer 503 while true. */
  failing: boolean;
  close(): Promise<void>;
}

export interface SignOptions {
  /** Sign with a key that is not published (forged token). */
  readonly unpublishedKey?: boolean;
  readonly kid?: string;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly jwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', kty: 'RSA' } };
}

export async function startEntraIssuer(
  options: { tenantId?: string; audience?: string } = {},
): Promise<EntraIssuer & { audience: string }> {
  const tenantId = options.tenantId ?? randomUUID();
  const audience = options.audience ?? randomUUID();
  let published: SigningKey[] = [await newKey()];
  const stranger = await newKey();
  const requests = new Map<string, number>();

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (issuer.failing) {
      res.writeHead(503).end();
      return;
    }
    const host = issuer.authorityHost;
    const body =
      path === `/${tenantId}/v2.0/.well-known/openid-configuration`
        ? {
            issuer: issuer.issuerV2,
            jwks_uri: `${host}/${tenantId}/discovery/v2.0/keys`,
            token_endpoint: `${host}/${tenantId}/oauth2/v2.0/token`,
            id_token_signing_alg_values_supported: ['RS256'],
          }
        : path === `/${tenantId}/.well-known/openid-configuration`
          ? {
              issuer: issuer.issuerV1,
              jwks_uri: `${host}/common/discovery/keys`,
              token_endpoint: `${host}/${tenantId}/oauth2/token`,
            }
          : path === `/${tenantId}/discovery/v2.0/keys`
            ? { keys: published.map((k) => k.jwk) }
            : undefined;
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const authorityHost = `http://127.0.0.1:${port}`;

  const issuer: EntraIssuer & { audience: string } = {
    authorityHost,
    tenantId,
    audience,
    // Entra's v2.0 issuer is on the authority host; v1.0 tokens name sts.windows.net in the public cloud.
    issuerV2: `${authorityHost}/${tenantId}/v2.0`,
    issuerV1: `https://sts.windows.net/${tenantId}/`,
    requests,
    failing: false,
    requestCount(kind) {
      const suffix = kind === 'keys' ? '/discovery/v2.0/keys' : '/openid-configuration';
      return [...requests].filter(([p]) => p.endsWith(suffix)).reduce((n, [, c]) => n + c, 0);
    },
    async sign(claims = {}, signOptions = {}) {
      const key = signOptions.unpublishedKey ? stranger : (published.at(-1) as SigningKey);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        aud: audience,
        iss: issuer.issuerV2,
        tid: tenantId,
        oid: randomUUID(),
        sub: randomUUID(),
        preferred_username: 'admin@contoso.example',
        roles: ['EntraOps.Admin'],
        ver: '2.0',
        iat: now - 60,
        nbf: now - 60,
        exp: now + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: signOptions.kid ?? key.kid })
        .sign(key.privateKey);
    },
    async rotate(rotateOptions = {}) {
      const next = await newKey();
      published = rotateOptions.retireOld ? [next] : [...published, next];
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
  return issuer;
}

/** App settings that point the app's bearer validation at `issuer`. */
export const bearerSettings = (issuer: { authorityHost: string; tenantId: string; audience: string }) => ({
  AUTH_TENANT_ID: issuer.tenantId,
  AUTH_AUDIENCE: issuer.audience,
  AUTH_AUTHORITY_HOST: issuer.authorityHost,
});
