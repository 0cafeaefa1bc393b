import { randomBytes } from 'node:crypto';

import { type HttpHandler, HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

import { type StartOptions } from '../../local/sandbox';
import { generateSecret } from '../../shared/ticketing/standardWebhooks';
import { type AppStack, stackSettings, useAppStack } from '../helpers/appStack';

/**
 * Real Azurite and the Graph sandbox (demo tenant) over HTTP for one test file; the app's services read them from
 * process.env. Handlers are called with real HttpRequest/InvocationContext objects, and every log line the app writes
 * is kept in `logs` (the leak scan reads it).
 */
export interface RemediationHarness extends AppStack {
  readonly secrets: { readonly builtin: string; readonly webhook: string; readonly servicenow: string; readonly jira: string };
  readonly logs: string[];
}

export function useRemediationHarness(
  env: Record<string, string> = {},
  sandboxOptions: StartOptions = {},
): { readonly current: RemediationHarness } {
  return useAppStack((stack) => {
    const secrets = {
      builtin: generateSecret(),
      webhook: generateSecret(),
      servicenow: generateSecret(),
      jira: randomBytes(24).toString('hex'),
    };
    return {
      harness: { ...stack, secrets, logs: [] },
      env: {
        ...stackSettings(stack, 'remediation-tests'),
        GRAPH_MAX_BACKOFF_MS: '200',
        GRAPH_MAX_RETRIES: '2',
        LOG_LEVEL: 'debug',
        PASS_VAULT_KEY: randomBytes(32).toString('base64'),
        PUBLIC_BASE_URL: 'https://entra-ops.example',
        REMEDIATION_APP_DIRECTORY_ROLE: 'userAdministrator',
        TICKET_CALLBACK_SECRET_BUILTIN: secrets.builtin,
        TICKET_CALLBACK_SECRET_WEBHOOK: secrets.webhook,
        SERVICENOW_CALLBACK_SECRET: secrets.servicenow,
        JIRA_WEBHOOK_SECRET: secrets.jira,
        JIRA_APPROVAL_STATUSES: 'Approved - Block=block',
        ...env,
      },
    };
  }, sandboxOptions);
}

export interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly params?: Record<string, string>;
}

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export function context(h: RemediationHarness, functionName = 'test'): InvocationContext {
  return new InvocationContext({
    invocationId: `test-${randomBytes(4).toString('hex')}`,
    functionName,
    logHandler: (_level, ...args) => h.logs.push(args.map(String).join(' ')),
  });
}

export async function call(h: RemediationHarness, handler: HttpHandler, options: CallOptions = {}): Promise<Reply> {
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const request = new HttpRequest({
    method: options.method ?? 'GET',
    url: 'http://localhost/api/test',
    headers: { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    params: options.params ?? {},
    ...(text === undefined ? {} : { body: { string: text } }),
  });
  const res: HttpResponseInit = await handler(request, context(h));
  return { status: res.status ?? 200, body: (res.jsonBody ?? {}) as Record<string, unknown> };
}

export async function graphAs(
  h: RemediationHarness,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<unknown> {
  const res = await fetch(`${h.sandbox.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: 'Bearer test-admin',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} -> ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export const sandboxControl = async (h: RemediationHarness, path: string, body?: unknown): Promise<void> => {
  const res = await fetch(`${h.sandbox.url}/_sandbox/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${await res.text()}`);
};

export async function user(h: RemediationHarness, id: string): Promise<Record<string, unknown>> {
  return (await graphAs(h, `/v1.0/users/${id}?$select=id,accountEnabled,signInSessionsValidFromDateTime`)) as Record<
    string,
    unknown
  >;
}

/** A user's riskyUser record from the sandbox's state (the riskyUsers API allows 1 request per second per tenant). */
export async function riskyUser(h: RemediationHarness, id: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${h.sandbox.url}/_sandbox/tenant`);
  const tenant = (await res.json()) as { riskyUsers?: Record<string, unknown>[] };
  return tenant.riskyUsers?.find((r) => r.id === id);
}
