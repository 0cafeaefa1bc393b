import { z } from 'zod';

import { GUID } from './ids';
import { isSecureOrLoopbackUrl } from './loopback';
import { type ActionName, ACTIONS, DEFAULT_ALLOW } from './remediation/actions';
import { secretKey } from './ticketing/standardWebhooks';

/**
 * App settings, parsed once at start-up. A missing or bad setting fails fast with one message
 * naming every offending key. `local.settings.sample.json` lists each key with a safe local value; keep them in step.
 */
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const optionalString = z.string().trim().optional();
const uuid = z.string().regex(GUID, 'must be an object id (GUID)');
const uuidList = z
  .string()
  .trim()
  .default('')
  .transform((v) => v.split(/[,;\s]+/).filter((x) => x !== ''))
  .pipe(z.array(z.string().regex(GUID, 'must list object ids (GUIDs)')));

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
  // Local sandbox only: divides the paced buckets' intervals to match the sandbox's timeScale knob (benchmarks).
  GRAPH_PACING_TIME_SCALE: z.coerce.number().positive().max(10_000).default(1),
  // Fraction of the app's identity write quota (3,000 writes per 150 s per app and tenant) one instance budgets for.
  GRAPH_WRITE_QUOTA_SHARE: z.coerce.number().min(0.05).max(1).default(1),

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
  PHONE_SWEEP_SCHEDULE: z.string().trim().min(1).default('0 */15 * * * *'),
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
  // Privileged users (directory roles, role-assignable groups) the import may change anyway: object ids or UPNs.
  PHONE_PRIVILEGED_ALLOWLIST: z
    .string()
    .trim()
    .transform((v) =>
      v
        .split(/[\s,;]+/)
        .filter(Boolean)
        .map((e) => e.toLowerCase()),
    )
    .default([]),

  // Remediation and TAP (docs/remediation.md, docs/tap.md)
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:7071'),
  PASS_VAULT_KEY: z
    .string()
    .trim()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 random bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  REMEDIATION_ALLOW_MEMBER: actionList(DEFAULT_ALLOW.member),
  REMEDIATION_ALLOW_GUEST: actionList(DEFAULT_ALLOW.guest),
  REMEDIATION_ALLOW_PRIVILEGED: actionList(DEFAULT_ALLOW.privileged),
  REMEDIATION_APP_DIRECTORY_ROLE: z.enum(['none', 'userAdministrator', 'privilegedAuthenticationAdministrator']).default('none'),
  REMEDIATION_PASSWORD_WRITEBACK: bool(false),
  REMEDIATION_GUEST_GROUPS: z
    .string()
    .trim()
    .default('')
    .transform((v) => v.split(/[\s,;]+/).filter(Boolean))
    .pipe(z.array(uuid)),
  REMEDIATION_PASSWORD_RETRIEVAL_MINUTES: int(24 * 60, 5, 7 * 24 * 60),
  REMEDIATION_MAX_ATTEMPTS: int(5, 1, 20),
  SERVICENOW_CALLBACK_SECRET: optionalString,
  JIRA_WEBHOOK_SECRET: optionalString,
  TICKET_CALLBACK_SECRET_WEBHOOK: optionalString,
  TICKET_CALLBACK_SECRET_BUILTIN: optionalString,
  JIRA_APPROVAL_STATUSES: z
    .string()
    .trim()
    .default('')
    .transform((v, ctx) => parseStatusActions(v, ctx)),
  JIRA_ACTION_FIELD: optionalString,

  // Conditional Access helpers
  CA_BACKUP_SCHEDULE: z.string().trim().min(1).default('0 0 2 * * *'),
  CA_BACKUP_RETENTION_DAYS: int(365, 1, 3650),
  CA_BREAK_GLASS_USERS: uuidList,
  CA_BREAK_GLASS_GROUPS: uuidList,
  CA_BREAK_GLASS_SCHEDULE: z.string().trim().min(1).default('0 0 * * * *'),
  CA_BREAK_GLASS_AUTOFIX: bool(false),
  CA_EXCLUSION_MAX_DAYS: int(30, 1, 365),
  CA_EXCLUSION_SCHEDULE: z.string().trim().min(1).default('0 */5 * * * *'),

  // Risk tickets
  // The tenant the app serves; part of every risk ticket's key (tenant, user, episode start).
  ENTRA_TENANT_ID: uuid.optional(),
  RISK_POLL_SCHEDULE: z.string().trim().min(1).default('0 */10 * * * *'),
  RISK_MIN_LEVEL: z.enum(['low', 'medium', 'high']).default('low'),
  RISK_LOOKBACK_DAYS: int(30, 1, 30),
  RISK_BLOCKED_GUESTS: bool(true),
  RISK_SIGNIN_ENRICH_MAX: int(25, 0, 1000),

  // Ticket providers. Credentials are app settings that Azure fills from Key Vault references.
  TICKET_PROVIDER: z.enum(['builtin', 'servicenow', 'jira', 'webhook']).default('builtin'),
  TICKET_HTTP_TIMEOUT_MS: int(15_000, 1_000, 120_000),
  SERVICENOW_INSTANCE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SERVICENOW_AUTH: z.enum(['basic', 'oauth']).default('basic'),
  SERVICENOW_USERNAME: optionalString,
  SERVICENOW_PASSWORD: optionalString,
  SERVICENOW_CLIENT_ID: optionalString,
  SERVICENOW_CLIENT_SECRET: optionalString,
  SERVICENOW_CLOSE_CODE: z.string().trim().min(1).default('Solution provided'),
  SERVICENOW_ASSIGNMENT_GROUP: optionalString,
  SERVICENOW_CALLER_ID: optionalString,
  SERVICENOW_CATEGORY: optionalString,
  JIRA_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  JIRA_EMAIL: optionalString,
  JIRA_API_TOKEN: optionalString,
  JIRA_PROJECT_KEY: z
    .string()
    .trim()
    .regex(/^[A-Z][A-Z0-9_]{1,9}$/, 'must be a Jira project key such as SEC')
    .optional(),
  JIRA_ISSUE_TYPE: z.string().trim().min(1).default('Task'),
  JIRA_RESOLVE_TRANSITION: z.string().trim().min(1).default('Done'),
  TICKET_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  TICKET_WEBHOOK_SECRET: optionalString,

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

/** Every app setting the app reads: the docs and `local.settings.sample.json` are tested against this list. */
export const SETTING_NAMES: readonly string[] = Object.keys(settingsSchema.shape);
/** A comma-separated list of remediation action names (an allow-list). */
function actionList(fallback: readonly ActionName[]) {
  return z
    .string()
    .trim()
    .default(fallback.join(','))
    .transform((v) => v.split(/[\s,;]+/).filter(Boolean))
    .pipe(z.array(z.enum(ACTIONS, { message: `each action must be one of ${ACTIONS.join(', ')}` })));
}

/** `Jira status=action` pairs, comma-separated: a transition to that status approves that action. */
function parseStatusActions(value: string, ctx: z.RefinementCtx): Record<string, ActionName> {
  const out: Record<string, ActionName> = {};
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const status = pair.slice(0, at).trim();
    const action = pair.slice(at + 1).trim();
    if (at <= 0 || !(ACTIONS as readonly string[]).includes(action)) {
      ctx.addIssue({
        code: 'custom',
        message: `'${pair}' must be <status name>=<action>, the action one of ${ACTIONS.join(', ')}`,
      });
      continue;
    }
    out[status.toLowerCase()] = action as ActionName;
  }
  return out;
}

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
  const pacingScale = Number(env.GRAPH_PACING_TIME_SCALE ?? '1');
  if (pacingScale !== 1 && !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(env.GRAPH_BASE_URL ?? '')) {
    problems.push('GRAPH_PACING_TIME_SCALE is for the local Graph sandbox only: against Graph it must be 1');
  }
  if (Boolean(env.CONSOLE_CLIENT_ID) !== Boolean(env.CONSOLE_API_SCOPE)) {
    problems.push('CONSOLE_CLIENT_ID and CONSOLE_API_SCOPE are set together: the console signs in with both');
  }
  if (env.CONSOLE_CLIENT_ID && !(env.AUTH_TENANT_ID && env.AUTH_AUDIENCE)) {
    problems.push('CONSOLE_CLIENT_ID needs AUTH_TENANT_ID and AUTH_AUDIENCE: the console tokens are validated with them');
  }
  problems.push(...ticketSettingProblems(env));
  return problems;
}

const LOOPBACK_URL = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/;
const SETTINGS_FOR_PROVIDER: Record<string, (env: Record<string, string | undefined>) => string[]> = {
  servicenow: (env) => [
    'SERVICENOW_INSTANCE_URL',
    ...(env.SERVICENOW_AUTH === 'oauth'
      ? ['SERVICENOW_CLIENT_ID', 'SERVICENOW_CLIENT_SECRET']
      : ['SERVICENOW_USERNAME', 'SERVICENOW_PASSWORD']),
  ],
  jira: () => ['JIRA_BASE_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_PROJECT_KEY'],
  webhook: () => ['TICKET_WEBHOOK_URL', 'TICKET_WEBHOOK_SECRET'],
};

/** The chosen ticket provider's settings: present, resolved from Key Vault, https (plain http only to loopback stand-ins). */
function ticketSettingProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const provider = env.TICKET_PROVIDER ?? 'builtin';
  for (const name of SETTINGS_FOR_PROVIDER[provider]?.(env) ?? []) {
    if (!env[name]) problems.push(`${name} is required when TICKET_PROVIDER is ${provider}`);
  }
  for (const name of ['SERVICENOW_INSTANCE_URL', 'JIRA_BASE_URL', 'TICKET_WEBHOOK_URL']) {
    const url = env[name];
    if (url && /^http:/i.test(url) && !LOOPBACK_URL.test(url))
      problems.push(`${name} must use https (plain http only for local stand-ins)`);
  }
  for (const [name, value] of Object.entries(env)) {
    // App Service leaves the reference text in place when it cannot resolve it (no access, wrong URI).
    if (value?.startsWith('@Microsoft.KeyVault(')) {
      problems.push(
        `${name} is an unresolved Key Vault reference: grant the app's identity get access to the secret and check its URI`,
      );
    }
  }
  // Standard Webhooks secrets, outgoing and for signed approval callbacks: a mistyped one fails here, not per call.
  for (const name of [
    'TICKET_WEBHOOK_SECRET',
    'SERVICENOW_CALLBACK_SECRET',
    'TICKET_CALLBACK_SECRET_WEBHOOK',
    'TICKET_CALLBACK_SECRET_BUILTIN',
  ]) {
    for (const secret of env[name]?.split(/[\s,]+/).filter(Boolean) ?? []) {
      try {
        secretKey(secret);
      } catch (e) {
        problems.push(`${name} ${e instanceof Error ? e.message : String(e)}`);
      }
    }
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
    readonly pacingTimeScale?: number;
    readonly writeQuotaShare?: number;
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
    readonly privilegedAllowList: readonly string[];
  };
  readonly remediation: {
    readonly publicBaseUrl: string;
    readonly passVaultKey?: string;
    readonly allow: Readonly<Record<'member' | 'guest' | 'privileged', readonly ActionName[]>>;
    readonly appDirectoryRole: 'none' | 'userAdministrator' | 'privilegedAuthenticationAdministrator';
    readonly passwordWriteback: boolean;
    readonly guestGroups: readonly string[];
    readonly passwordRetrievalMinutes: number;
    readonly maxAttempts: number;
    /** Per provider, every secret currently valid (several during a rotation). */
    readonly callbackSecrets: Readonly<Record<'servicenow' | 'jira' | 'webhook' | 'builtin', readonly string[]>>;
    readonly jiraApprovalStatuses: Readonly<Record<string, ActionName>>;
    readonly jiraActionField?: string;
  };
  readonly conditionalAccess: {
    readonly backupSchedule: string;
    readonly backupRetentionDays: number;
    readonly breakGlassUsers: readonly string[];
    readonly breakGlassGroups: readonly string[];
    readonly breakGlassSchedule: string;
    readonly breakGlassAutoFix: boolean;
    readonly exclusionMaxDays: number;
    readonly exclusionSchedule: string;
  };
  readonly risk: {
    readonly tenantId: string;
    readonly pollSchedule: string;
    readonly minLevel: 'low' | 'medium' | 'high';
    readonly lookbackDays: number;
    readonly blockedGuests: boolean;
    readonly signInEnrichMax: number;
  };
  /** Console sign-in (undefined on the local stack: no sign-in on loopback); `inAzure` refuses the local mode. */
  readonly console: {
    readonly auth?: { readonly clientId: string; readonly authority: string; readonly scope: string };
    readonly inAzure: boolean;
  };
  readonly tickets: TicketSettings;
}

export interface TicketSettings {
  readonly provider: 'builtin' | 'servicenow' | 'jira' | 'webhook';
  readonly timeoutMs: number;
  readonly servicenow?: {
    readonly instanceUrl: string;
    readonly auth:
      | { readonly kind: 'basic'; readonly username: string; readonly password: string }
      | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };
    readonly closeCode: string;
    readonly assignmentGroup?: string;
    readonly callerId?: string;
    readonly category?: string;
  };
  readonly jira?: {
    readonly baseUrl: string;
    readonly email: string;
    readonly apiToken: string;
    readonly projectKey: string;
    readonly issueType: string;
    readonly resolveTransition: string;
  };
  readonly webhook?: { readonly url: string; readonly secrets: readonly string[] };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid app settings: ${problems.join('; ')}`);
  }
}

const compact = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Secrets separated by spaces or commas (old and new during a rotation). */
const secretList = (value: string | undefined): string[] => (value ?? '').split(/[\s,]+/).filter(Boolean);

export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AppConfig {
  // local.settings.json and app settings often carry empty strings for "not set".
  const clean = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v?.trim() === '' ? undefined : v]));
  const parsed = settingsSchema.safeParse(clean);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'} ${i.message}`);
  problems.push(...crossSettingProblems(clean));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const s = parsed.data;
  return Object.freeze({
    storage: storageSettings(s),
    graph: graphSettings(s),
    http: httpSettings(s),
    logLevel: s.LOG_LEVEL,
    sync: { timerSchedule: s.SYNC_TIMER_SCHEDULE, largeTargetWarning: s.SYNC_LARGE_TARGET_WARNING },
    phones: phoneSettings(s),
    remediation: remediationSettings(s),
    conditionalAccess: conditionalAccessSettings(s),
    risk: riskSettings(s),
    tickets: ticketSettings(s),
    console: consoleSettings(s),
  });
}

function storageSettings(s: Settings): AppConfig['storage'] {
  return compact({
    connectionString: s.AzureWebJobsStorage,
    accountName: s.AzureWebJobsStorage__accountName,
    blobServiceUri: s.AzureWebJobsStorage__blobServiceUri,
    queueServiceUri: s.AzureWebJobsStorage__queueServiceUri,
    tableServiceUri: s.AzureWebJobsStorage__tableServiceUri,
    clientId: s.AzureWebJobsStorage__clientId,
  });
}

function graphSettings(s: Settings): AppConfig['graph'] {
  return compact({
    baseUrl: s.GRAPH_BASE_URL.replace(/\/+$/, ''),
    auth: s.GRAPH_AUTH,
    staticToken: s.GRAPH_STATIC_TOKEN,
    managedIdentityClientId: s.AZURE_CLIENT_ID,
    maxConcurrency: s.GRAPH_MAX_CONCURRENCY,
    maxRetries: s.GRAPH_MAX_RETRIES,
    maxBackoffMs: s.GRAPH_MAX_BACKOFF_MS,
    pacingTimeScale: s.GRAPH_PACING_TIME_SCALE,
    writeQuotaShare: s.GRAPH_WRITE_QUOTA_SHARE,
  });
}

function httpSettings(s: Settings): AppConfig['http'] {
  return {
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
  };
}

function phoneSettings(s: Settings): AppConfig['phones'] {
  return compact({
    defaultRegion: s.PHONE_DEFAULT_REGION,
    overwrite: s.PHONE_OVERWRITE,
    enableSmsSignInByDefault: s.PHONE_ENABLE_SMS_SIGNIN,
    enableSmsWithoutLicence: s.PHONE_ENABLE_SMS_WITHOUT_LICENCE,
    smsSignInGroupId: s.SMS_SIGNIN_GROUP_ID,
    chunkSize: s.PHONE_CHUNK_SIZE,
    maxFileBytes: s.PHONE_MAX_FILE_BYTES,
    maxRows: s.PHONE_MAX_ROWS,
    privilegedAllowList: s.PHONE_PRIVILEGED_ALLOWLIST,
  });
}

function remediationSettings(s: Settings): AppConfig['remediation'] {
  return compact({
    publicBaseUrl: s.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    passVaultKey: s.PASS_VAULT_KEY,
    allow: { member: s.REMEDIATION_ALLOW_MEMBER, guest: s.REMEDIATION_ALLOW_GUEST, privileged: s.REMEDIATION_ALLOW_PRIVILEGED },
    appDirectoryRole: s.REMEDIATION_APP_DIRECTORY_ROLE,
    passwordWriteback: s.REMEDIATION_PASSWORD_WRITEBACK,
    guestGroups: s.REMEDIATION_GUEST_GROUPS,
    passwordRetrievalMinutes: s.REMEDIATION_PASSWORD_RETRIEVAL_MINUTES,
    maxAttempts: s.REMEDIATION_MAX_ATTEMPTS,
    callbackSecrets: {
      servicenow: secretList(s.SERVICENOW_CALLBACK_SECRET),
      jira: secretList(s.JIRA_WEBHOOK_SECRET),
      webhook: secretList(s.TICKET_CALLBACK_SECRET_WEBHOOK),
      builtin: secretList(s.TICKET_CALLBACK_SECRET_BUILTIN),
    },
    jiraApprovalStatuses: s.JIRA_APPROVAL_STATUSES,
    jiraActionField: s.JIRA_ACTION_FIELD,
  });
}

function conditionalAccessSettings(s: Settings): AppConfig['conditionalAccess'] {
  return {
    backupSchedule: s.CA_BACKUP_SCHEDULE,
    backupRetentionDays: s.CA_BACKUP_RETENTION_DAYS,
    breakGlassUsers: s.CA_BREAK_GLASS_USERS,
    breakGlassGroups: s.CA_BREAK_GLASS_GROUPS,
    breakGlassSchedule: s.CA_BREAK_GLASS_SCHEDULE,
    breakGlassAutoFix: s.CA_BREAK_GLASS_AUTOFIX,
    exclusionMaxDays: s.CA_EXCLUSION_MAX_DAYS,
    exclusionSchedule: s.CA_EXCLUSION_SCHEDULE,
  };
}

function riskSettings(s: Settings): AppConfig['risk'] {
  return {
    tenantId: s.ENTRA_TENANT_ID?.toLowerCase() ?? 'default',
    pollSchedule: s.RISK_POLL_SCHEDULE,
    minLevel: s.RISK_MIN_LEVEL,
    lookbackDays: s.RISK_LOOKBACK_DAYS,
    blockedGuests: s.RISK_BLOCKED_GUESTS,
    signInEnrichMax: s.RISK_SIGNIN_ENRICH_MAX,
  };
}

function consoleSettings(s: Settings): AppConfig['console'] {
  return {
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
  };
}

/** Only the chosen provider's block is built; the cross-setting rules above guarantee its required values. */
function ticketSettings(s: Settings): TicketSettings {
  const base = { provider: s.TICKET_PROVIDER, timeoutMs: s.TICKET_HTTP_TIMEOUT_MS };
  const required = (value: string | undefined): string => value ?? '';
  if (s.TICKET_PROVIDER === 'servicenow') {
    return {
      ...base,
      servicenow: compact({
        instanceUrl: required(s.SERVICENOW_INSTANCE_URL).replace(/\/+$/, ''),
        auth:
          s.SERVICENOW_AUTH === 'oauth'
            ? {
                kind: 'oauth' as const,
                clientId: required(s.SERVICENOW_CLIENT_ID),
                clientSecret: required(s.SERVICENOW_CLIENT_SECRET),
              }
            : { kind: 'basic' as const, username: required(s.SERVICENOW_USERNAME), password: required(s.SERVICENOW_PASSWORD) },
        closeCode: s.SERVICENOW_CLOSE_CODE,
        assignmentGroup: s.SERVICENOW_ASSIGNMENT_GROUP,
        callerId: s.SERVICENOW_CALLER_ID,
        category: s.SERVICENOW_CATEGORY,
      }),
    };
  }
  if (s.TICKET_PROVIDER === 'jira') {
    return {
      ...base,
      jira: {
        baseUrl: required(s.JIRA_BASE_URL).replace(/\/+$/, ''),
        email: required(s.JIRA_EMAIL),
        apiToken: required(s.JIRA_API_TOKEN),
        projectKey: required(s.JIRA_PROJECT_KEY),
        issueType: s.JIRA_ISSUE_TYPE,
        resolveTransition: s.JIRA_RESOLVE_TRANSITION,
      },
    };
  }
  if (s.TICKET_PROVIDER === 'webhook') {
    return {
      ...base,
      webhook: { url: required(s.TICKET_WEBHOOK_URL), secrets: required(s.TICKET_WEBHOOK_SECRET).split(/\s+/).filter(Boolean) },
    };
  }
  return base;
}
