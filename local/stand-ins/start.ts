/**
 * Starts the ticket-system stand-in that `TICKET_PROVIDER` selects, for `npm start` and the end-to-end tests, and points
 * the app's settings at it: a ServiceNow provider with no `SERVICENOW_INSTANCE_URL`, or a Jira provider with no
 * `JIRA_BASE_URL`, gets a stand-in on loopback with local credentials. A configured real instance is left alone.
 * Once the local host knows its URL, `connect` points the stand-in's approval callbacks at
 * `/api/tickets/callback/{provider}`, signed with `SERVICENOW_CALLBACK_SECRET` / `JIRA_WEBHOOK_SECRET` (generated
 * for the session when unset, and put in the app's environment so the callback endpoint verifies with the same secret).
 */
import { randomBytes } from 'node:crypto';

import { generateSecret } from '../../shared/ticketing/standardWebhooks';
import { type JiraStandIn, startJiraStandIn } from './jira';
import { type ServiceNowStandIn, startServiceNowStandIn } from './servicenow';

export interface TicketStandIns {
  readonly servicenow?: ServiceNowStandIn;
  readonly jira?: JiraStandIn;
  /** Points approval callbacks at the local host. */
  connect(hostUrl: string): void;
  close(): Promise<void>;
}

export interface TicketStandInOptions {
  /** Preferred ports (0: any free port); a taken port falls back to a free one when `fallbackToFreePort`. */
  readonly ports?: { readonly servicenow?: number; readonly jira?: number };
  readonly fallbackToFreePort?: boolean;
  readonly onFallback?: (name: string, port: number) => void;
}

const set = (
  name: string,
  env: NodeJS.ProcessEnv,
  setEnv: (name: string, value: string) => void,
  fallback: () => string,
): string => {
  const current = env[name];
  if (current !== undefined && current.trim() !== '') return current;
  const value = fallback();
  setEnv(name, value);
  return value;
};

async function withFallback<T>(
  start: (port: number) => Promise<T>,
  port: number,
  options: TicketStandInOptions,
  name: string,
): Promise<T> {
  try {
    return await start(port);
  } catch (error) {
    const inUse = error instanceof Error && /EADDRINUSE/.test(`${error.message} ${(error as { code?: string }).code ?? ''}`);
    if (!inUse || !options.fallbackToFreePort || port === 0) throw error;
    options.onFallback?.(name, port);
    return start(0);
  }
}

export async function startTicketStandIns(
  env: NodeJS.ProcessEnv,
  setEnv: (name: string, value: string) => void,
  options: TicketStandInOptions = {},
): Promise<TicketStandIns> {
  const provider = env.TICKET_PROVIDER;
  let servicenow: ServiceNowStandIn | undefined;
  let jira: JiraStandIn | undefined;
  const localSecret = () => randomBytes(18).toString('base64url');

  if (provider === 'servicenow' && !env.SERVICENOW_INSTANCE_URL?.trim()) {
    const oauth = env.SERVICENOW_AUTH === 'oauth';
    const username = set('SERVICENOW_USERNAME', env, setEnv, () => 'entra-ops.integration');
    const password = set('SERVICENOW_PASSWORD', env, setEnv, localSecret);
    const clientId = oauth ? set('SERVICENOW_CLIENT_ID', env, setEnv, () => 'entra-ops-local') : undefined;
    const clientSecret = oauth ? set('SERVICENOW_CLIENT_SECRET', env, setEnv, localSecret) : undefined;
    servicenow = await withFallback(
      (port) =>
        startServiceNowStandIn({
          port,
          username,
          password,
          ...(clientId && clientSecret ? { oauth: { clientId, clientSecret } } : {}),
        }),
      options.ports?.servicenow ?? 0,
      options,
      'ServiceNow stand-in',
    );
    setEnv('SERVICENOW_INSTANCE_URL', servicenow.url);
    set('SERVICENOW_CALLBACK_SECRET', env, setEnv, generateSecret);
  }
  if (provider === 'jira' && !env.JIRA_BASE_URL?.trim()) {
    const email = set('JIRA_EMAIL', env, setEnv, () => 'entra-ops@contoso-demo.example');
    const apiToken = set('JIRA_API_TOKEN', env, setEnv, localSecret);
    const projectKey = set('JIRA_PROJECT_KEY', env, setEnv, () => 'SEC');
    jira = await withFallback(
      (port) => startJiraStandIn({ port, email, apiToken, projectKey }),
      options.ports?.jira ?? 0,
      options,
      'Jira stand-in',
    );
    setEnv('JIRA_BASE_URL', jira.url);
    set('JIRA_WEBHOOK_SECRET', env, setEnv, localSecret);
  }

  return {
    ...(servicenow ? { servicenow } : {}),
    ...(jira ? { jira } : {}),
    connect(hostUrl: string) {
      const base = hostUrl.replace(/\/+$/, '');
      servicenow?.setCallback({ url: `${base}/api/tickets/callback/servicenow`, secret: env.SERVICENOW_CALLBACK_SECRET ?? '' });
      jira?.setCallback({ url: `${base}/api/tickets/callback/jira`, secret: env.JIRA_WEBHOOK_SECRET ?? '' });
    },
    async close() {
      await servicenow?.close();
      await jira?.close();
    },
  };
}
