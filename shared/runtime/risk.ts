import { GraphRiskReader } from '../graph/identityProtection';
import { GraphPrivilegedUsers } from '../graph/privilegedUsers';
import { GraphRiskUsers, type RolesReader } from '../graph/riskUsers';
import { GraphSignInReader } from '../graph/signInLogs';
import type { Graph } from '../graph/types';
import type { Logger } from '../log';
import type { RiskDeps } from '../risk/handleUser';
import type { EventLedger } from '../risk/ports';
import { QueueProviderRetries, TableRiskState } from '../storage/riskState';
import { TableTicketRepository } from '../storage/riskTickets';
import { BuiltinTicketProvider } from '../ticketing/builtin';
import { createTicketProviderFromConfig } from '../ticketing/fromConfig';
import type { TicketProvider } from '../ticketing/port';
import type { Services } from './services';

/**
 * The configured ticket system. `builtin` (the app's own table) is the default; ServiceNow, Jira and the signed
 * webhook are chosen with TICKET_PROVIDER and built from their own settings by the ticketing adapters.
 */
export function ticketProviderFor(services: Services): TicketProvider {
  // One provider per process: the ServiceNow OAuth token cache and Jira's recently-created ids live in it.
  let provider = providers.get(services);
  if (!provider) {
    provider = createTicketProviderFromConfig(services.config.tickets, () => new BuiltinTicketProvider(services.storage));
    providers.set(services, provider);
  }
  return provider;
}

const providers = new WeakMap<Services, TicketProvider>();

/**
 * Privileged roles for the ticket: active directory roles and role-assignable group memberships. A failed read
 * (no RoleManagement.Read.Directory, an outage) leaves the ticket saying "not read" rather than "none".
 */
function rolesReader(graph: Graph, log: Logger): RolesReader {
  const reader = new GraphPrivilegedUsers(graph);
  return async (userId) => {
    try {
      const reasons = (await reader.privilegedAmong([userId])).get(userId) ?? [];
      return reasons.map((r) => (r.kind === 'directoryRole' ? r.roleName : `member of role-assignable group ${r.groupName}`));
    } catch (e) {
      log.warn({ userId, err: e }, 'risk: privileged roles not read');
      return undefined;
    }
  };
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
    users: new GraphRiskUsers(graph, rolesReader(graph, log)),
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
