import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ServiceNowStandIn, startServiceNowStandIn } from '../../local/stand-ins/servicenow';
import { getServices } from '../../shared/runtime/services';
import { RISK_STATE_TABLE, RISK_SYNC_QUEUE } from '../../shared/storage/riskState';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { BUILTIN_TICKETS_TABLE } from '../../shared/ticketing/builtin';
import { type AppStack, stackSettings, useAppStack } from '../helpers/appStack';
import { killChildren, type KillScenario } from './killHarness';
import { KILL_TEST_TIMEOUT_MS, killAndRerun, KILLS } from './killRun';

/**
 * The risk poller killed at KILLS points while it reads risk, opens tickets in the app's table and in the ticket
 * system, and stores watermarks; recovered as production recovers: the next timer tick polls again (and the provider
 * retry queue redelivers). Every at-risk user must end with exactly one ticket in the app and one in the ticket system:
 * the built-in queue, and a ServiceNow stand-in reached over HTTP (its own kill points: as an incident is created,
 * once it was created and the answer is lost).
 */
const SCALE = '50';
const harness = useAppStack((stack) => ({
  harness: stack,
  env: { ...stackSettings(stack, 'kill-risk'), GRAPH_MAX_BACKOFF_MS: '300', GRAPH_PACING_TIME_SCALE: SCALE, LOG_LEVEL: 'silent' },
}));
afterAll(killChildren);

let servicenow: ServiceNowStandIn | undefined;
const SN = { username: 'entra-ops.integration', password: 'kill-and-rerun-local-only' };
beforeAll(async () => {
  servicenow = await startServiceNowStandIn({ port: 0, ...SN });
});
afterAll(() => servicenow?.close());

const table = (h: AppStack, name: string) =>
  TableClient.fromConnectionString(h.azurite.connectionString, name, { allowInsecureConnection: true });

async function watermarked(h: AppStack): Promise<boolean> {
  try {
    for await (const _ of table(h, RISK_STATE_TABLE).listEntities({ queryOptions: { filter: "RowKey eq 'riskDetections'" } }))
      return true;
  } catch {
    return false;
  }
  return false;
}

async function queueEmpty(h: AppStack): Promise<boolean> {
  const queue = new QueueClient(h.azurite.connectionString, RISK_SYNC_QUEUE);
  return !(await queue.exists()) || (await queue.getProperties()).approximateMessagesCount === 0;
}

async function riskDone(h: AppStack): Promise<boolean> {
  if (!(await watermarked(h)) || !(await queueEmpty(h))) return false;
  const tickets = await new TableTicketRepository(getServices().storage).list({});
  return tickets.length > 0 && tickets.every((t) => t.provider.status === 'synced');
}

/**
 * The user of a ticket key (`risk:<tenant>:<user>:<episode start>`). An episode without a detection time starts when
 * the app first saw it, which is a later clock after a kill, so episodes are compared per user.
 */
const userOf = (key: string | undefined): string => key?.split(':')[2] ?? '?';

interface RiskSnapshot {
  readonly tickets: string[];
  readonly external: string[];
}

function riskScenario(provider: 'builtin' | 'servicenow'): KillScenario<RiskSnapshot> {
  const external = async (h: AppStack): Promise<string[]> => {
    if (provider === 'servicenow') {
      return (servicenow?.incidents() ?? []).map((i) => `incident ${userOf(i.fields.correlation_id)} ${i.fields.active ?? ''}`);
    }
    const keys: string[] = [];
    for await (const e of table(h, BUILTIN_TICKETS_TABLE).listEntities<{ key?: string; state?: string }>())
      keys.push(`builtin ${userOf(e.key)} ${e.state ?? ''}`);
    return keys;
  };
  return {
    name: `risk-tickets-${provider}`,
    targets: provider === 'servicenow' ? ['graph', 'storage', 'provider'] : ['graph', 'storage'],
    functions: ['riskPollTimer', 'riskTicketSync'],
    env:
      provider === 'servicenow'
        ? {
            TICKET_PROVIDER: 'servicenow',
            SERVICENOW_INSTANCE_URL: servicenow?.url ?? '',
            SERVICENOW_USERNAME: SN.username,
            SERVICENOW_PASSWORD: SN.password,
            KILL_PROVIDER_ORIGINS: new URL(servicenow?.url ?? 'http://127.0.0.1:1').origin,
          }
        : { TICKET_PROVIDER: 'builtin' },
    async setup(h) {
      // The reset put the sandbox back at real time; sign-in log reads are paced 50x faster to match.
      await fetch(`${h.sandbox.url}/_sandbox/knobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timeScale: Number(SCALE) }),
      });
      if (servicenow) await fetch(`${servicenow.url}/_standin/reset`, { method: 'POST' });
    },
    start: (child) => child.invoke('riskPollTimer'),
    // The next tick, on a host 20 minutes later.
    recovery: [{ clockMinutes: 40, run: (child) => child.invoke('riskPollTimer'), settled: riskDone }],
    done: riskDone,
    async snapshot(h) {
      const tickets = await new TableTicketRepository(getServices().storage).list({});
      return {
        tickets: tickets.map((t) => `${t.userId} ${t.reason} ${t.state} ${t.provider.provider} ${t.provider.status}`).sort(),
        external: (await external(h)).sort(),
      };
    },
    items: (s) => [...s.tickets.map((t) => `ticket ${t}`), ...s.external],
  };
}

describe('risk poll killed and re-run', () => {
  for (const provider of ['builtin', 'servicenow'] as const) {
    it(
      `opens exactly the clean run's tickets in the app and in ${provider} from ${KILLS} kill points`,
      async () => {
        const figures = await killAndRerun(riskScenario(provider), harness.current, {});
        expect(figures.duplicateWrites).toBe(0);
        expect(figures.lost).toBe(0);
        expect(figures.extra).toBe(0);
        expect(figures.runsKilled).toBe(KILLS);
      },
      KILL_TEST_TIMEOUT_MS,
    );
  }
});
