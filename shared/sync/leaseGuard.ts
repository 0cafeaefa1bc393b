/**
 * Keeps one run's lease for as long as the run works, reading included, and fences its state writes. A run whose
 * process was paused (a frozen VM, a long GC, a debugger) past its lease may have been taken over by a newer run: the
 * heartbeat notices on its next beat and cancels the run's Graph calls, and `fence()` renews the lease (conditional on
 * its etag) right before every ledger, snapshot and write slice, so such a stale run can never overwrite the newer
 * run's state or apply a stale plan. The run also has a deadline shorter than the lease, so it ends before the lease
 * could lapse even if every renewal in between failed.
 */

import { AppError } from '../errors';
import type { RunLease } from './ports';

export const LEASE_LOST = 'SYNC_LEASE_LOST';
export const RUN_DEADLINE = 'SYNC_RUN_DEADLINE';

export interface LeaseGuardOptions {
  readonly heartbeatMs: number;
  /** Epoch ms after which the run starts no new work. */
  readonly deadlineAt: number;
  readonly now: () => number;
  /** Called once when the lease is found lost or the deadline passes (cancels the run's Graph calls). */
  readonly onStop: (reason: AppError) => void;
}

export class LeaseGuard {
  private stopped: AppError | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly lease: RunLease,
    private readonly options: LeaseGuardOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Why the run must stop (lease lost, deadline passed), or undefined while it may go on. */
  get reason(): AppError | undefined {
    return this.stopped;
  }

  /** Renews the lease now and throws when it is gone or the deadline passed; call right before writing run state. */
  async fence(): Promise<void> {
    if (this.stopped) throw this.stopped;
    if (this.options.now() >= this.options.deadlineAt) throw this.halt(deadlinePassed());
    if (!(await this.lease.renew())) throw this.halt(leaseLost());
  }

  /**
   * Renews the lease now, ignoring the deadline: for the state a stopping run must still write (its ledger and the
   * target snapshot after the last applied slice). False when another run holds the job now.
   */
  async holdsLease(): Promise<boolean> {
    if (this.stopped?.code === LEASE_LOST) return false;
    if (await this.lease.renew()) return true;
    this.halt(leaseLost());
    return false;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.options.now() >= this.options.deadlineAt) {
      this.halt(deadlinePassed());
      return;
    }
    try {
      if (!(await this.lease.renew())) this.halt(leaseLost());
    } catch {
      // A storage hiccup is not a lost lease: the next beat, or the fence before the next write, decides.
    }
  }

  private halt(reason: AppError): AppError {
    if (!this.stopped) {
      this.stopped = reason;
      this.options.onStop(reason);
    }
    return this.stopped;
  }
}

const leaseLost = (): AppError =>
  new AppError(
    LEASE_LOST,
    'The run lost its lease (its process stalled past the lease time and another run took over); it stopped without writing state',
    409,
  );

const deadlinePassed = (): AppError =>
  new AppError(RUN_DEADLINE, 'The run reached its deadline before it finished; the next run continues from what is applied', 503);
