/**
 * Pacing for Graph's fixed-rate buckets, where reacting to 429s is not good enough
 * (https://learn.microsoft.com/graph/throttling-limits):
 * - identity protection and Conditional Access (riskyUsers, riskDetections, CA policies, named locations): 1 request
 *   per second per tenant, shared by every app, and the 429 carries no Retry-After;
 * - identity and access reports (sign-in logs): 5 requests per 10 s per app per tenant.
 *
 * Each bucket is a serial lane: a request starts only one interval (window / requests) after the previous request of
 * the same bucket has come back. Graph counts a request when it arrives, which is before its response leaves, so two
 * of our requests can never land inside one interval whatever the latency: our own pacing cannot cause a 429. A 429
 * can still come from another app's traffic in the tenant; then the lane cools down (doubling per consecutive 429,
 * capped) for every caller, not just the one that was refused, and relaxes after the next success.
 */
import { abortError } from './concurrency';

export interface PaceClass {
  readonly name: 'identityProtection' | 'signInLogs';
  readonly requests: number;
  readonly windowMs: number;
}

export const IDENTITY_PROTECTION_PACE: PaceClass = { name: 'identityProtection', requests: 1, windowMs: 1_000 };
export const SIGN_IN_LOGS_PACE: PaceClass = { name: 'signInLogs', requests: 5, windowMs: 10_000 };

/** The paced bucket a route belongs to (route = path under the version root, no query), if any. */
export function paceClassFor(route: string): PaceClass | undefined {
  const path = route.toLowerCase();
  if (path.startsWith('/identityprotection/') || path.startsWith('/identity/conditionalaccess/')) return IDENTITY_PROTECTION_PACE;
  if (path.startsWith('/auditlogs/signins')) return SIGN_IN_LOGS_PACE;
  return undefined;
}

export interface PaceTicket {
  /** Call when the response (any status) has arrived; `throttled` when it was a 429. */
  done(outcome: 'ok' | 'throttled'): void;
}

type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Longest cool-down after repeated 429s from other traffic. */
const MAX_COOLDOWN_MS = 60_000;

class Lane {
  private tail: Promise<void> = Promise.resolve();
  private readyAt = 0;
  private strikes = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {}

  acquire(signal?: AbortSignal): Promise<PaceTicket> {
    let releaseLane!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (releaseLane = resolve));
    return (async () => {
      try {
        await previous;
        if (signal?.aborted) throw abortError(signal);
        const wait = this.readyAt - this.now();
        if (wait > 0) await this.sleep(wait, signal);
      } catch (e) {
        releaseLane();
        throw e;
      }
      let settled = false;
      return {
        done: (outcome) => {
          if (settled) return;
          settled = true;
          if (outcome === 'throttled') this.strikes++;
          else this.strikes = 0;
          const cooldown = this.strikes === 0 ? 0 : Math.min(MAX_COOLDOWN_MS, this.intervalMs * 2 ** Math.min(this.strikes, 16));
          this.readyAt = this.now() + this.intervalMs + cooldown;
          releaseLane();
        },
      };
    })();
  }
}

/** One per gateway (per process): the buckets are per tenant, shared by every run. */
export class Pacer {
  private readonly lanes = new Map<PaceClass['name'], Lane>();

  /**
   * @param timeScale divides every interval; only for the local Graph sandbox, whose windows are divided by its own
   *   timeScale knob (benchmarks compress time). Against Graph it is always 1.
   */
  constructor(
    private readonly timeScale: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    if (!(timeScale > 0)) throw new RangeError(`pacing timeScale must be > 0, got ${timeScale}`);
  }

  acquire(cls: PaceClass, signal?: AbortSignal): Promise<PaceTicket> {
    let lane = this.lanes.get(cls.name);
    if (!lane) {
      lane = new Lane(cls.windowMs / cls.requests / this.timeScale, this.now, this.sleep);
      this.lanes.set(cls.name, lane);
    }
    return lane.acquire(signal);
  }
}
