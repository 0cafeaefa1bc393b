/** Everything one running sandbox owns: tenant state, knobs, counters, throttling buckets, fault rules, cursors. */
import { FaultInjector } from './faults';
import { defaultKnobs, mergeKnobs, type SandboxKnobs } from './knobs';
import { CursorStore } from './odata/paging';
import { TenantState } from './state';
import { StatsCounter } from './stats';
import type { TenantFile } from './tenantFile';
import { Throttler } from './throttling';

export class SandboxEnv {
  state: TenantState;
  knobs: SandboxKnobs;
  readonly stats = new StatsCounter();
  readonly throttler = new Throttler(() => this.knobs);
  readonly faults = new FaultInjector(
    () => this.knobs.faults,
    () => this.knobs.faultSeed,
  );
  readonly cursors = new CursorStore();
  /** Delta rounds in progress (keyed by the `$skiptoken` cursor id). */
  readonly deltaRounds = new CursorStore();

  constructor(
    private readonly initialTenant: TenantFile,
    knobs: Partial<SandboxKnobs> = {},
  ) {
    this.state = new TenantState(initialTenant);
    this.knobs = mergeKnobs(defaultKnobs(), knobs);
  }

  /** Real-time ms at which an object created now becomes visible (eventual consistency, scaled). */
  visibleAtForNewObject(): number {
    return Date.now() + this.knobs.eventualConsistencyMs / this.knobs.timeScale;
  }

  /** Real ms for a sandbox duration. */
  scaled(ms: number): number {
    return ms / this.knobs.timeScale;
  }

  replaceTenant(file: TenantFile): void {
    this.state = new TenantState(file);
    this.cursors.clear();
    this.deltaRounds.clear();
    this.stats.reset();
  }

  reset(): void {
    this.state = new TenantState(this.initialTenant);
    this.cursors.clear();
    this.deltaRounds.clear();
    this.knobs = defaultKnobs();
    this.stats.reset();
    this.throttler.reset();
  }
}
