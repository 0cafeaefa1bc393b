import { z } from 'zod';

import { isSecureOrLoopbackUrl } from './loopback';

/**
 * App settings, parsed once at start-up (house style 11). A missing or bad setting fails fast with one message
 * naming every offending key. `local.settings.sample.json` lists each key with a safe local value; keep them in step.
 */
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const optionalString = z.string().trim().optional();
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an object id (GUID)');

const settingsSchema = z.object({
  // Storage: a connection string locally (Azurite), identity-based `AzureWebJobsStorage__*` settings in Azure.
  AzureWebJobsStorage: optionalString,
  AzureWebJobsStorage__accountName: optionalString,
  AzureWebJobsStorage__blobServiceUri: optionalString,
  AzureWebJobsStorage__queueServiceUri: optionalString,
  AzureWebJobsStorage__tableServiceUri: optionalString,
  AzureWebJobsStorage__clientId: optionalString,

  // Graph: public cloud by default; a national cloud or the local sandbox by setting the base URL.
  GRAPH_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://graph.microsoft.com'),
  GRAPH_AUTH: z.enum(['managedIdentity', 'default', 'static']).default('managedIdentity'),
  GRAPH_STATIC_TOKEN: optionalString,
  AZURE_CLIENT_ID: optionalString,
  GRAPH_MAX_CONCURRENCY: int(8, 1, 64),
  GRAPH_MAX_RETRIES: int(6, 0, 20),
  GRAPH_MAX_BACKOFF_MS: int(60_000, 100, 600_000),

  // HTTP API access: function keys always; app roles from a validated Entra bearer token or App Service auth.
  REQUIRE_APP_ROLES: bool(false),
  AUTH_TENANT_ID: uuid.optional(),
  AUTH_AUDIENCE: z
    .string()
    .trim()
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .optional(),
  AUTH_AUTHORITY_HOST: z.url({ protocol: /^https?$/ }).default('https://login.microsoftonline.com'),
  AUTH_CLOCK_SKEW_SECONDS: int(300, 0, 900),
  // Set by App Service itself ("True") when its authentication module runs in front of the app.
  WEBSITE_AUTH_ENABLED: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }))
    .default('false')
    .transform((v) => v === 'true' || v === '1'),

  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

  // Group sync
  SYNC_TIMER_SCHEDULE: z.string().trim().min(1).default('0 */5 * * * *'),
  SYNC_LARGE_TARGET_WARNING: int(50_000, 1, 10_000_000),

  // Bulk phone import
  PHONE_DEFAULT_REGION: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 region such as US or GB')
    .optional(),
  PHONE_OVERWRITE: bool(false),
  PHONE_ENABLE_SMS_SIGNIN: bool(false),
  PHONE_ENABLE_SMS_WITHOUT_LICENCE: bool(false),
  SMS_SIGNIN_GROUP_ID: uuid.optional(),
  PHONE_CHUNK_SIZE: int(100, 1, 500),
  PHONE_MAX_FILE_BYTES: int(64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  PHONE_MAX_ROWS: int(500_000, 1, 5_000_000),

  // Operator console sign-in (Azure): the SPA app registration the console signs in with, and the API scope it asks
  // for. Tokens are validated by the bearer settings above, so those must be set too.
  CONSOLE_CLIENT_ID: uuid.optional(),
  CONSOLE_API_SCOPE: z
    .string()
    .trim()
    .regex(/^\S+\/\S+$/, 'must be a scope such as api://<app id>/user_impersonation')
    .optional(),
  // Set by App Service in every Azure site; the console's sign-in-free local mode is refused where it is set.
  WEBSITE_SITE_NAME: optionalString,
});

/** Rules that span several settings; checked on the raw values so they are reported together with schema errors. */
function crossSettingProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__accountName && !env.AzureWebJobsStorage__blobServiceUri) {
    problems.push(
      'AzureWebJobsStorage must be a connection string, or set AzureWebJobsStorage__accountName for an identity-based connection',
    );
  }
  const graphBase = env.GRAPH_BASE_URL ?? 'https://graph.microsoft.com';
  // A bearer token for the whole tenant must never travel in clear text; http is only for a loopback sandbox.
  if (URL.canParse(graphBase) && !isSecureOrLoopbackUrl(graphBase)) {
    problems.push('GRAPH_BASE_URL must be https (plain http only for a loopback host such as the local sandbox)');
  }
  const authority = env.AUTH_AUTHORITY_HOST;
  if (authority !== undefined && URL.canParse(authority) && !isSecureOrLoopbackUrl(authority)) {
    problems.push('AUTH_AUTHORITY_HOST must be https (plain http only for a loopback host)');
  }
  if (Boolean(env.AUTH_TENANT_ID) !== Boolean(env.AUTH_AUDIENCE)) {
    problems.push('AUTH_TENANT_ID and AUTH_AUDIENCE are set together: bearer tokens are validated against both');
  }
  const bearer = Boolean(env.AUTH_TENANT_ID && env.AUTH_AUDIENCE);
  const appService = /^(true|1)$/i.test(env.WEBSITE_AUTH_ENABLED ?? '');
  if (/^(true|1|yes)$/.test(env.REQUIRE_APP_ROLES ?? '') && !bearer && !appService) {
    problems.push(
      'REQUIRE_APP_ROLES is true but no caller can prove a role: set AUTH_TENANT_ID and AUTH_AUDIENCE (Entra bearer tokens) or turn on App Service authentication',
    );
  }
  if (env.GRAPH_AUTH === 'static') {
    if (!env.GRAPH_STATIC_TOKEN) problems.push('GRAPH_STATIC_TOKEN is required when GRAPH_AUTH is static');
    const base = (env.GRAPH_BASE_URL ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(base)) {
      problems.push(
        'GRAPH_AUTH static tokens are for the local Graph sandbox only; use managedIdentity or default against real Graph',
      );
    }
  }
  if (Boolean(env.CONSOLE_CLIENT_ID) !== Boolean(env.CONSOLE_API_SCOPE)) {
    problems.push('CONSOLE_CLIENT_ID and CONSOLE_API_SCOPE are set together: the console signs in with both');
  }
  if (env.CONSOLE_CLIENT_ID && !(env.AUTH_TENANT_ID && env.AUTH_AUDIENCE)) {
    problems.push('CONSOLE_CLIENT_ID needs AUTH_TENANT_ID and AUTH_AUDIENCE: the console tokens are validated with them');
  }
  return problems;
}

type Settings = z.output<typeof settingsSchema>;

export interface StorageSettings {
  readonly connectionString?: string;
  readonly accountName?: string;
  readonly blobServiceUri?: string;
  readonly queueServiceUri?: string;
  readonly tableServiceUri?: string;
  readonly clientId?: string;
}

/** Who may call the HTTP API besides function-key holders; see docs/security.md. */
export interface AuthSettings {
  /** Entra bearer tokens are validated when both are set: issuer of this tenant, one of these audiences. */
  readonly bearer?: {
    readonly tenantId: string;
    readonly audiences: readonly string[];
    readonly authorityHost: string;
    readonly clockSkewSeconds: number;
  };
  /** App Service authentication runs in front of the app, so `x-ms-client-principal` comes from the platform. */
  readonly appServiceAuth: boolean;
}

export interface AppConfig {
  readonly storage: StorageSettings;
  readonly graph: {
    readonly baseUrl: string;
    readonly auth: 'managedIdentity' | 'default' | 'static';
    readonly staticToken?: string;
    readonly managedIdentityClientId?: string;
    readonly maxConcurrency: number;
    readonly maxRetries: number;
    readonly maxBackoffMs: number;
  };
  readonly http: { readonly requireAppRoles: boolean; readonly auth: AuthSettings };
  readonly logLevel: Settings['LOG_LEVEL'];
  readonly sync: { readonly timerSchedule: string; readonly largeTargetWarning: number };
  readonly phones: {
    readonly defaultRegion?: string;
    readonly overwrite: boolean;
    readonly enableSmsSignInByDefault: boolean;
    readonly enableSmsWithoutLicence: boolean;
    readonly smsSignInGroupId?: string;
    readonly chunkSize: number;
    readonly maxFileBytes: number;
    readonly maxRows: number;
  };
  /** Console sign-in (undefined on the local stack: no sign-in on loopback); `inAzure` refuses the local mode. */
  readonly console: {
    readonly auth?: { readonly clientId: string; readonly authority: string; readonly scope: string };
    readonly inAzure: boolean;
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid app settings: ${problems.join('; ')}`);
  }
}

const compact = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AppConfig {
  // local.settings.json and app settings often carry empty strings for "not set".
  const clean = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v?.trim() === '' ? undefined : v]));
  const parsed = settingsSchema.safeParse(clean);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'} ${i.message}`);
  problems.push(...crossSettingProblems(clean));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const s = parsed.data;
  return Object.freeze({
    storage: compact({
      connectionString: s.AzureWebJobsStorage,
      accountName: s.AzureWebJobsStorage__accountName,
      blobServiceUri: s.AzureWebJobsStorage__blobServiceUri,
      queueServiceUri: s.AzureWebJobsStorage__queueServiceUri,
      tableServiceUri: s.AzureWebJobsStorage__tableServiceUri,
      clientId: s.AzureWebJobsStorage__clientId,
    }),
    graph: compact({
      baseUrl: s.GRAPH_BASE_URL.replace(/\/+$/, ''),
      auth: s.GRAPH_AUTH,
      staticToken: s.GRAPH_STATIC_TOKEN,
      managedIdentityClientId: s.AZURE_CLIENT_ID,
      maxConcurrency: s.GRAPH_MAX_CONCURRENCY,
      maxRetries: s.GRAPH_MAX_RETRIES,
      maxBackoffMs: s.GRAPH_MAX_BACKOFF_MS,
    }),
    http: {
      requireAppRoles: s.REQUIRE_APP_ROLES,
      auth: {
        appServiceAuth: s.WEBSITE_AUTH_ENABLED,
        ...(s.AUTH_TENANT_ID !== undefined &&
          s.AUTH_AUDIENCE !== undefined &&
          s.AUTH_AUDIENCE.length > 0 && {
            bearer: {
              tenantId: s.AUTH_TENANT_ID.toLowerCase(),
              audiences: s.AUTH_AUDIENCE,
              authorityHost: s.AUTH_AUTHORITY_HOST.replace(/\/+$/, ''),
              clockSkewSeconds: s.AUTH_CLOCK_SKEW_SECONDS,
            },
          }),
      },
    },
    logLevel: s.LOG_LEVEL,
    sync: { timerSchedule: s.SYNC_TIMER_SCHEDULE, largeTargetWarning: s.SYNC_LARGE_TARGET_WARNING },
    phones: compact({
      defaultRegion: s.PHONE_DEFAULT_REGION,
      overwrite: s.PHONE_OVERWRITE,
      enableSmsSignInByDefault: s.PHONE_ENABLE_SMS_SIGNIN,
      enableSmsWithoutLicence: s.PHONE_ENABLE_SMS_WITHOUT_LICENCE,
      smsSignInGroupId: s.SMS_SIGNIN_GROUP_ID,
      chunkSize: s.PHONE_CHUNK_SIZE,
      maxFileBytes: s.PHONE_MAX_FILE_BYTES,
      maxRows: s.PHONE_MAX_ROWS,
    }),
    console: {
      inAzure: s.WEBSITE_SITE_NAME !== undefined,
      ...(s.CONSOLE_CLIENT_ID &&
        s.CONSOLE_API_SCOPE &&
        s.AUTH_TENANT_ID && {
          auth: {
            clientId: s.CONSOLE_CLIENT_ID,
            authority: `${s.AUTH_AUTHORITY_HOST.replace(/\/+$/, '')}/${s.AUTH_TENANT_ID}`,
            scope: s.CONSOLE_API_SCOPE,
          },
        }),
    },
  });
}
