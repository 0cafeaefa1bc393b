import { randomBytes, randomUUID } from 'node:crypto';

import type { BackupDeps } from '../conditional-access/backup';
import type { DiffDeps } from '../conditional-access/backupDiff';
import type { BreakGlassDeps, BreakGlassRun } from '../conditional-access/breakGlass';
import type { ExclusionDeps } from '../conditional-access/exclusions';
import type { GuestRiskFixDeps, GuestRiskFixPlan } from '../conditional-access/guestRiskFix';
import type { TicketOpener } from '../conditional-access/ports';
import type { BreakGlassConfig, RestoreDeps, RestorePlan } from '../conditional-access/restore';
import type { WhyBlockedDeps } from '../conditional-access/whyBlocked';
import { GraphExclusionGroups } from '../graph/caExclusionGroups';
import { GraphConditionalAccess } from '../graph/conditionalAccess';
import { GraphGuestGroups } from '../graph/guestGroups';
import { GraphSignIns } from '../graph/signIns';
import { BlobCaBackupStore, BlobJsonStore, CA_BACKUP_CONTAINER } from '../storage/caBackupStore';
import { TableCaExclusionStore } from '../storage/caExclusionStore';
import { ticketProviderFor } from './risk';
import type { Services } from './services';

/** Run records of the break-glass guard (and `latest`). */
export const CA_RUNS_CONTAINER = 'ca-runs';

/** Wires the Conditional Access helpers' ports to Graph and storage; the HTTP routes and timers share it. */
export function caGraph(services: Services): GraphConditionalAccess {
  return new GraphConditionalAccess(services.graph.scoped());
}

export function whyBlockedDeps(services: Services): WhyBlockedDeps {
  const ca = caGraph(services);
  return {
    signIns: new GraphSignIns(services.graph.scoped()),
    policies: ca,
    directory: ca,
    now: () => new Date(),
  };
}

export function caBackupStore(services: Services): BlobCaBackupStore {
  return new BlobCaBackupStore(() => services.storage.container(CA_BACKUP_CONTAINER));
}

export function backupDeps(services: Services): BackupDeps {
  const ca = caGraph(services);
  return {
    policies: ca,
    directory: ca,
    store: caBackupStore(services),
    audit: services.audit,
    now: () => new Date(),
    randomHex: () => randomBytes(3).toString('hex'),
    retentionDays: services.config.conditionalAccess.backupRetentionDays,
  };
}

export function diffDeps(services: Services): DiffDeps {
  const ca = caGraph(services);
  return { store: caBackupStore(services), policies: ca, directory: ca };
}

export function breakGlassConfig(services: Services): BreakGlassConfig {
  const c = services.config.conditionalAccess;
  return { users: c.breakGlassUsers, groups: c.breakGlassGroups };
}

export function restoreDeps(services: Services): RestoreDeps {
  const ca = caGraph(services);
  return {
    store: caBackupStore(services),
    plans: new BlobJsonStore<RestorePlan>(() => services.storage.container(CA_BACKUP_CONTAINER), 'restore-plans'),
    policies: ca,
    directory: ca,
    audit: services.audit,
    breakGlass: breakGlassConfig(services),
    now: () => new Date(),
    newId: randomUUID,
  };
}

export function breakGlassDeps(services: Services, tickets?: TicketOpener): BreakGlassDeps {
  const ca = caGraph(services);
  return {
    policies: ca,
    directory: ca,
    config: breakGlassConfig(services),
    runs: new BlobJsonStore<BreakGlassRun>(() => services.storage.container(CA_RUNS_CONTAINER), 'break-glass'),
    audit: services.audit,
    ...(tickets ? { tickets } : {}),
    now: () => new Date(),
    newId: randomUUID,
  };
}

/** Violations open tickets through the configured ticket system (TICKET_PROVIDER), deduplicated by key. */
export function caTickets(services: Services): TicketOpener {
  return ticketProviderFor(services);
}

/** Expiring exclusions; `now` is the clock the timer and routes judge expiry by. */
export function exclusionDeps(services: Services, now: () => Date = () => new Date()): ExclusionDeps {
  const ca = caGraph(services);
  return {
    policies: ca,
    directory: ca,
    groups: new GraphExclusionGroups(services.graph.scoped(), services.config.graph.baseUrl),
    store: new TableCaExclusionStore(services.storage),
    audit: services.audit,
    now,
    newId: randomUUID,
    maxDays: services.config.conditionalAccess.exclusionMaxDays,
  };
}

/** The guest-risk fix: plans kept beside the restore plans, the dynamic group created through its own narrow adapter. */
export function guestRiskFixDeps(services: Services): GuestRiskFixDeps {
  const ca = caGraph(services);
  const writer = new GraphGuestGroups(services.graph.scoped());
  return {
    policies: ca,
    groups: { dynamicGroups: () => ca.dynamicGroups(), createDynamicGroup: (spec) => writer.createDynamicGroup(spec) },
    plans: new BlobJsonStore<GuestRiskFixPlan>(() => services.storage.container(CA_BACKUP_CONTAINER), 'guest-risk-plans'),
    audit: services.audit,
    now: () => new Date(),
    newId: randomUUID,
  };
}
