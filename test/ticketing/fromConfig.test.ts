import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../shared/config';
import { createTicketProviderFromConfig } from '../../shared/ticketing/fromConfig';
import { JiraProvider } from '../../shared/ticketing/jira';
import type { TicketProvider } from '../../shared/ticketing/port';
import { ServiceNowProvider } from '../../shared/ticketing/servicenow';
import { WebhookProvider } from '../../shared/ticketing/webhook';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('createTicketProviderFromConfig', () => {
  const builtinCalls: number[] = [];
  const builtin = (): TicketProvider => {
    builtinCalls.push(1);
    return {
      name: 'builtin',
      open: () => Promise.reject(new Error('not used')),
      addNote: () => Promise.resolve(),
      resolve: () => Promise.resolve(),
      check: () => Promise.resolve({ ok: true }),
    };
  };

  it('builds the provider TICKET_PROVIDER names, and the built-in one only when it is chosen', () => {
    const build = (env: Record<string, string>) =>
      createTicketProviderFromConfig(loadConfig({ ...base, ...env }).tickets, builtin);
    expect(
      build({
        TICKET_PROVIDER: 'servicenow',
        SERVICENOW_INSTANCE_URL: 'https://x.service-now.com',
        SERVICENOW_USERNAME: 'u',
        SERVICENOW_PASSWORD: 'p',
      }),
    ).toBeInstanceOf(ServiceNowProvider);
    expect(
      build({
        TICKET_PROVIDER: 'jira',
        JIRA_BASE_URL: 'https://x.atlassian.net',
        JIRA_EMAIL: 'e',
        JIRA_API_TOKEN: 't',
        JIRA_PROJECT_KEY: 'SEC',
      }),
    ).toBeInstanceOf(JiraProvider);
    expect(
      build({
        TICKET_PROVIDER: 'webhook',
        TICKET_WEBHOOK_URL: 'https://h.example',
        TICKET_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      }),
    ).toBeInstanceOf(WebhookProvider);
    expect(builtinCalls).toHaveLength(0);
    expect(build({}).name).toBe('builtin');
    expect(builtinCalls).toHaveLength(1);
  });

  it('refuses hand-built settings that lack the chosen provider block', () => {
    expect(() => createTicketProviderFromConfig({ provider: 'jira', timeoutMs: 1000 }, builtin)).toThrow(
      /TICKET_PROVIDER is jira/,
    );
  });
});
