/**
 * Validates Entra ID access tokens for this app's API with `jose`: RS256 signature against the tenant's published
 * signing keys (the `jwks_uri` of its OpenID metadata), issuer of the configured tenant (v2.0 tokens, and v1.0 tokens
 * when the app registration still issues those), one of the configured audiences (client id and/or Application ID
 * URI), lifetime with a clock skew, and the `tid` claim. Metadata and keys are cached per process: Entra rotates its
 * keys with overlap, and an unknown `kid` makes jose refetch the key set (at most once per cooldown).
 * https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens
 */

import { createRemoteJWKSet, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';

import type { AuthSettings } from '../config';
import { AppError, toError } from '../errors';
import { isSecureOrLoopbackUrl } from '../loopback';

export type BearerSettings = NonNullable<AuthSettings['bearer']>;

export interface VerifiedToken {
  /** `preferred_username`/`upn` for users, `app:<client id>` for app-only tokens. */
  readonly name: string;
  readonly objectId: string;
  readonly roles: readonly string[];
}

export interface EntraTokenValidator {
  verify(token: string): Promise<VerifiedToken>;
}

const METADATA_TTL_MS = 24 * 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 5_000;
const metadataSchema = z.object({ issuer: z.string().min(1), jwks_uri: z.string().url() });
const claimsSchema = z.object({
  tid: z.string(),
  oid: z.string().min(1),
  roles: z.array(z.string()).default([]),
  preferred_username: z.string().optional(),
  upn: z.string().optional(),
  azp: z.string().optional(),
  appid: z.string().optional(),
});

interface Keys {
  readonly issuers: readonly string[];
  readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  readonly loadedAt: number;
}

async function fetchMetadata(url: string): Promise<z.output<typeof metadataSchema>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  if (!res.ok) throw new Error(`OpenID metadata ${url} answered ${res.status}`);
  return metadataSchema.parse(await res.json());
}

export interface ValidatorOptions {
  /**
   * After a key-set fetch, an unknown `kid` waits this long before fetching again (jose's default 30 s), so forged
   * tokens with random key ids cannot make the app hammer Entra's key endpoint.
   */
  readonly keyRefetchCooldownMs?: number;
}

async function loadKeys(settings: BearerSettings, options: ValidatorOptions): Promise<Keys> {
  const tenantRoot = `${settings.authorityHost}/${encodeURIComponent(settings.tenantId)}`;
  const [v2, v1] = await Promise.all([
    fetchMetadata(`${tenantRoot}/v2.0/.well-known/openid-configuration`),
    fetchMetadata(`${tenantRoot}/.well-known/openid-configuration`),
  ]);
  // The key set carries the power to mint callers: only ever fetch it over TLS (or from a loopback test server).
  if (!isSecureOrLoopbackUrl(v2.jwks_uri)) throw new Error(`Refusing a non-https jwks_uri: ${v2.jwks_uri}`);
  return {
    issuers: [...new Set([v2.issuer, v1.issuer])],
    jwks: createRemoteJWKSet(new URL(v2.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cacheMaxAge: 60 * 60 * 1000,
      cooldownDuration: options.keyRefetchCooldownMs ?? 30_000,
    }),
    loadedAt: Date.now(),
  };
}

/** App-only tokens (client credentials) carry no user name: they are named by the calling app's client id. */
const nameOf = (c: z.output<typeof claimsSchema>): string => c.preferred_username ?? c.upn ?? `app:${c.azp ?? c.appid ?? c.oid}`;

/** Failures on our side (key set unreachable, timed out, malformed) are 503s, not the caller's fault. */
const isKeySetFailure = (err: unknown): boolean =>
  !(err instanceof joseErrors.JOSEError) ||
  err instanceof joseErrors.JWKSTimeout ||
  err instanceof joseErrors.JWKSInvalid ||
  err.code === 'ERR_JOSE_GENERIC';

export function createEntraTokenValidator(settings: BearerSettings, options: ValidatorOptions = {}): EntraTokenValidator {
  let keys: Promise<Keys> | undefined;
  const currentKeys = (): Promise<Keys> => {
    const pending = keys;
    if (pending) {
      // A failed load is forgotten so the next request tries again; a successful one is kept for a day.
      return pending.then((k) => (Date.now() - k.loadedAt < METADATA_TTL_MS ? k : ((keys = undefined), currentKeys())));
    }
    const loading = loadKeys(settings, options);
    keys = loading;
    loading.catch(() => {
      if (keys === loading) keys = undefined;
    });
    return loading;
  };

  return {
    async verify(token) {
      let k: Keys;
      try {
        k = await currentKeys();
      } catch (err) {
        throw new AppError('AUTH_METADATA_UNAVAILABLE', 'Cannot read the Entra signing keys to check the token; try again', 503, {
          reason: toError(err).message,
        });
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, k.jwks, {
          issuer: [...k.issuers],
          audience: [...settings.audiences],
          algorithms: ['RS256'],
          clockTolerance: settings.clockSkewSeconds,
          requiredClaims: ['exp', 'iat', 'tid', 'oid'],
        }));
      } catch (err) {
        if (!isKeySetFailure(err)) {
          const code = (err as joseErrors.JOSEError).code;
          throw new AppError('INVALID_TOKEN', `The bearer token is not valid for this API (${code})`, 401, { reason: code });
        }
        throw new AppError('AUTH_METADATA_UNAVAILABLE', 'Cannot read the Entra signing keys to check the token; try again', 503, {
          reason: toError(err).message,
        });
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success || claims.data.tid.toLowerCase() !== settings.tenantId) {
        throw new AppError('INVALID_TOKEN', 'The bearer token is not from the configured tenant', 401);
      }
      return { name: nameOf(claims.data), objectId: claims.data.oid, roles: claims.data.roles };
    },
  };
}

const validators = new Map<string, EntraTokenValidator>();

/** One validator (and so one metadata and key cache) per distinct setting, shared by every route of the process. */
export function entraTokenValidator(settings: BearerSettings): EntraTokenValidator {
  const key = JSON.stringify(settings);
  let validator = validators.get(key);
  if (!validator) {
    validator = createEntraTokenValidator(settings);
    validators.set(key, validator);
  }
  return validator;
}
