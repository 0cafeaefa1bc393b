/**
 * Client-side pacing for Graph's small per-tenant budgets (https://learn.microsoft.com/graph/throttling-limits):
 * Conditional Access and Identity Protection allow 1 request per second per tenant for all apps and answer 429
 * *without* Retry-After; sign-in logs allow 5 requests per 10 s per app per tenant. Waiting our turn costs less than
 * a 429 followed by blind backoff. The gateway still retries any 429 that other apps' traffic causes.
 */
import type { Sleep } from './gateway';
import { defaultSleep } from './gateway';

export class Pacer {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly maxRequests: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = defaultSleep,
  ) {}

  /** Resolves when one more request may start; callers are served in order. */
  turn(): Promise<void> {
    const next = this.queue.then(() => this.wait());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.maxRequests) {
        this.starts.push(now);
        return;
      }
      await this.sleep((this.starts[0] ?? now) + this.windowMs - now + 1);
    }
  }

  /** Runs `fn` in its turn. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.turn();
    return fn();
  }
}

const shared = new Map<string, Pacer>();

/** One pacer per Graph root and budget in the process: the budgets are per tenant, not per run. */
export function sharedPacer(baseUrl: string, budget: 'conditionalAccess' | 'signInLogs'): Pacer {
  const key = `${baseUrl}|${budget}`;
  let pacer = shared.get(key);
  if (!pacer) {
    pacer = budget === 'conditionalAccess' ? new Pacer(1, 1_000) : new Pacer(5, 10_000);
    shared.set(key, pacer);
  }
  return pacer;
}
