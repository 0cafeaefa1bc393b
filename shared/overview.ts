/**
 * `GET /api/overview`: what an operator checks first. Sync runs of the last 24 h (with Graph requests and
 * throttling summed from their run records), the runs that failed, were blocked or partly failed, and the phone
 * imports still validating or running, and how many risk tickets are open.
 */

import type { ImportProgress } from './phones/status';
import type { SyncActivity } from './sync/history';

export interface Overview {
  readonly generatedAt: string;
  readonly sync: SyncActivity;
  readonly phoneImports: { readonly inProgress: readonly ImportProgress[]; readonly recent: readonly ImportProgress[] };
  readonly tickets: { readonly open: number };
}

export function overviewOf(now: Date, sync: SyncActivity, imports: readonly ImportProgress[], openTickets: number): Overview {
  return {
    generatedAt: now.toISOString(),
    sync,
    phoneImports: {
      inProgress: imports.filter((i) => i.status === 'validating' || i.status === 'running'),
      recent: imports.slice(0, 5),
    },
    tickets: { open: openTickets },
  };
}
