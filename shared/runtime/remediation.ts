/**
 * Wires remediation and TAP issuance to the real adapters: Graph, Tables, the work queue and the configured ticket
 * provider. The HTTP triggers, the callback and the queue worker share it.
 */

import { randomUUID } from 'node:crypto';

import { AppError } from '../errors';
import { GraphPrivilegedUsers } from '../graph/privilegedUsers';
import { GraphRemediation, type PrivilegedLookup } from '../graph/remediation';
import type { Logger } from '../log';
import type { RemediationQueue, RemediationTicketNotes } from '../remediation/ports';
import type { RunDeps } from '../remediation/run';
import { PASS_VAULT_TABLE, TablePassVault, vaultKey } from '../storage/passVault';
import { DELIVERIES_TABLE, REMEDIATIONS_TABLE, TableDeliveryLedger, TableRemediationStore } from '../storage/remediationStore';
import type { TapDeps } from '../tap/issue';
import type { Services } from './services';

export const REMEDIATION_QUEUE = 'remediation-work';

export type RemediationMessage =
  | { readonly kind: 'drain'; readonly subject: string }
  | { readonly kind: 'writeBack'; readonly subject: string; readonly requestId: string };

export function remediationQueue(services: Services): RemediationQueue {
  const send = (message: RemediationMessage, delaySeconds: number) =>
    services.storage.enqueueJson(REMEDIATION_QUEUE, message, { visibilityTimeoutSeconds: Math.max(0, Math.round(delaySeconds)) });
  return {
    drainLater: (subject, delay) => send({ kind: 'drain', subject }, delay),
    writeBackLater: (subject, requestId, delay) => send({ kind: 'writeBack', subject, requestId }, delay),
  };
}

export function passVault(services: Services): TablePassVault {
  const key = services.config.remediation.passVaultKey;
  if (!key) {
    throw new AppError(
      'PASS_VAULT_NOT_CONFIGURED',
      'PASS_VAULT_KEY is not set: passes and temporary passwords cannot be kept for one-time retrieval',
      503,
    );
  }
  return new TablePassVault(() => services.storage.table(PASS_VAULT_TABLE), vaultKey(key));
}

export const remediationStore = (services: Services): TableRemediationStore =>
  new TableRemediationStore(() => services.storage.table(REMEDIATIONS_TABLE));

export const deliveryLedger = (services: Services): TableDeliveryLedger =>
  new TableDeliveryLedger(() => services.storage.table(DELIVERIES_TABLE));

export function graphRemediation(services: Services, privileged: PrivilegedLookup): GraphRemediation {
  return new GraphRemediation(services.graph.scoped(), privileged);
}

export function tapDeps(services: Services, privileged: PrivilegedLookup): TapDeps {
  const graph = graphRemediation(services, privileged);
  return { users: graph, taps: graph, audit: services.audit, now: () => new Date() };
}

export function remediationRunDeps(
  services: Services,
  log: Logger,
  privileged: PrivilegedLookup,
  tickets?: RemediationTicketNotes,
): RunDeps {
  const graph = graphRemediation(services, privileged);
  const r = services.config.remediation;
  return {
    users: graph,
    writer: graph,
    taps: graph,
    vault: passVault(services),
    store: remediationStore(services),
    queue: remediationQueue(services),
    ...(tickets ? { tickets } : {}),
    audit: services.audit,
    log,
    guestGroups: r.guestGroups,
    passwordRetrievalMinutes: r.passwordRetrievalMinutes,
    now: () => new Date(),
    settings: {
      allow: r.allow,
      appDirectoryRole: r.appDirectoryRole,
      passwordWriteback: r.passwordWriteback,
      guestGroups: r.guestGroups,
      leaseMs: 120_000,
      maxAttempts: r.maxAttempts,
      publicBaseUrl: r.publicBaseUrl,
    },
  };
}

/** A runner id for leases: unique per invocation, so a second invocation never mistakes a lease for its own. */
export const runnerId = (invocationId: string): string => `${invocationId}:${randomUUID()}`;

/** Privileged = an active directory role or a role-assignable group (the reader never defaults to "not privileged"). */
export function privilegedLookup(services: Services): PrivilegedLookup {
  const reader = new GraphPrivilegedUsers(services.graph.scoped());
  return {
    async rolesOf(userId) {
      const reasons = (await reader.privilegedAmong([userId])).get(userId) ?? [];
      return reasons.map((r) => (r.kind === 'directoryRole' ? r.roleName : `member of role-assignable group ${r.groupName}`));
    },
  };
}
