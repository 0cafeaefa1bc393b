import { GraphRiskReader } from '../graph/identityProtection';
import { GraphRiskUsers } from '../graph/riskUsers';
import { GraphSignInReader } from '../graph/signInLogs';
import type { Graph } from '../graph/types';
import type { Logger } from '../log';
import type { RiskDeps } from '../risk/handleUser';
import type { EventLedger } from '../risk/ports';
import { QueueProviderRetries, TableRiskState } from '../storage/riskState';
import { TableTicketRepository } from '../storage/riskTickets';
import { BuiltinTicketProvider } from '../ticketing/builtin';
import type { TicketProvider } from '../ticketing/port';
import type { Services } from './services';

/**
 * The configured ticket system. `builtin` (the app's own table) is the default; ServiceNow, Jira and the signed
 * webhook are chosen with TICKET_PROVIDER and built from their own settings by the ticketing adapters.
 */
export function ticketProviderFor(services: Services): TicketProvider {
  switch (services.config.tickets.provider) {
    case 'builtin':
      return new BuiltinTicketProvider(services.storage);
    default:
      throw new Error(`TICKET_PROVIDER ${services.config.tickets.provider} is not available in this build; use builtin`);
  }
}

/** Wires the risk job's ports to the real adapters; the triggers, the queue worker and the bench share it. */
export function riskDeps(
  services: Services,
  log: Logger,
  options: { graph?: Graph; provider?: TicketProvider } = {},
): RiskDeps & { readonly events: EventLedger } {
  const graph = options.graph ?? services.graph.scoped();
  const state = new TableRiskState(services.storage);
  return {
    risk: new GraphRiskReader(graph),
    signIns: new GraphSignInReader(graph),
    users: new GraphRiskUsers(graph),
    tickets: new TableTicketRepository(services.storage),
    state,
    events: state,
    provider: options.provider ?? ticketProviderFor(services),
    retries: new QueueProviderRetries(services.storage),
    settings: {
      tenantId: services.config.risk.tenantId,
      minLevel: services.config.risk.minLevel,
      lookbackDays: services.config.risk.lookbackDays,
      signInEnrichMax: services.config.risk.signInEnrichMax,
      blockedGuests: services.config.risk.blockedGuests,
    },
    now: () => new Date(),
    log,
  };
}
