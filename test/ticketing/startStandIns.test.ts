import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { startTicketStandIns } from '../../local/stand-ins/start';
import { loadConfig } from '../../shared/config';
import { createTicketProviderFromConfig } from '../../shared/ticketing/fromConfig';
import type { TicketProvider } from '../../shared/ticketing/port';
import { verify } from '../../shared/ticketing/standardWebhooks';
import { useStack } from '../helpers/stack';
import { control, startRawReceiver } from './standIns';

const noBuiltin = (): TicketProvider => {
  throw new Error('the built-in provider is not expected here');
};

async function withEnv(initial: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...initial };
  const standIns = await startTicketStandIns(env, (name, value) => {
    env[name] = value;
  });
  return { env, standIns };
}

describe('ticket stand-ins for npm start', () => {
  it('starts the ServiceNow stand-in for TICKET_PROVIDER=servicenow and points the app settings at it', async () => {
    const { env, standIns } = await withEnv({ TICKET_PROVIDER: 'servicenow', SERVICENOW_INSTANCE_URL: '' });
    const receiver = await startRawReceiver();
    try {
      expect(standIns.jira).toBeUndefined();
      expect(env.SERVICENOW_INSTANCE_URL).toBe(standIns.servicenow?.url);
      expect(env.SERVICENOW_CALLBACK_SECRET).toMatch(/^whsec_/);
      const provider = createTicketProviderFromConfig(loadConfig(env).tickets, noBuiltin);
      const ref = await provider.open({ key: 'risk:t:u:e', category: 'risk', title: 't', severity: 'low', sections: [] });
      expect(await provider.check()).toMatchObject({ ok: true });
      // The local host's URL arrives later; callbacks then go to its callback route, signed with the app's secret.
      standIns.connect(receiver.url.replace('/api/tickets/callback', ''));
      await control(env.SERVICENOW_INSTANCE_URL!, 'POST', `/_standin/incidents/${ref.externalId}/approve`, { action: 'dismiss' });
      const [delivery] = receiver.received;
      expect(verify(env.SERVICENOW_CALLBACK_SECRET!, delivery!.headers, delivery!.body).ok).toBe(true);
    } finally {
      await standIns.close();
      await receiver.close();
    }
  });

  it('starts the Jira stand-in for TICKET_PROVIDER=jira with local credentials and project', async () => {
    const { env, standIns } = await withEnv({ TICKET_PROVIDER: 'jira' });
    try {
      expect(env).toMatchObject({ JIRA_BASE_URL: standIns.jira?.url, JIRA_PROJECT_KEY: 'SEC' });
      expect(env.JIRA_WEBHOOK_SECRET).toBeTruthy();
      const provider = createTicketProviderFromConfig(loadConfig(env).tickets, noBuiltin);
      expect(await provider.check()).toEqual({ ok: true, detail: 'project SEC readable' });
    } finally {
      await standIns.close();
    }
  });

  it('leaves a configured real instance alone and starts nothing for builtin or webhook', async () => {
    const cases: Record<string, string>[] = [
      { TICKET_PROVIDER: 'servicenow', SERVICENOW_INSTANCE_URL: 'https://contoso.service-now.com' },
      { TICKET_PROVIDER: 'builtin' },
      { TICKET_PROVIDER: 'webhook' },
    ];
    for (const initial of cases) {
      const { env, standIns } = await withEnv(initial);
      expect(standIns.servicenow ?? standIns.jira).toBeUndefined();
      expect(env.SERVICENOW_CALLBACK_SECRET).toBeUndefined();
      await standIns.close();
    }
  });
});

describe('npm start with TICKET_PROVIDER=servicenow', () => {
  const stack = useStack({ env: { TICKET_PROVIDER: 'servicenow' } });

  it('runs the app against a ServiceNow stand-in whose credentials the app settings carry', async () => {
    expect(stack.current.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const url = process.env.SERVICENOW_INSTANCE_URL;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = Buffer.from(`${process.env.SERVICENOW_USERNAME}:${process.env.SERVICENOW_PASSWORD}`).toString('base64');
    const res = await fetch(`${url}/api/now/table/incident?sysparm_limit=1`, { headers: { authorization: `Basic ${auth}` } });
    expect(res.status).toBe(200);
    expect(z.object({ result: z.array(z.unknown()) }).parse(await res.json()).result).toEqual([]);
  });
});
