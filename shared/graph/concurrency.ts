/**
 * Bounded adaptive concurrency (AIMD, as TCP congestion control): the number of Graph requests in flight starts at
 * `max`, halves on a 429 and grows by one after a window's worth of consecutive successes, always within [1, max].
 * One limiter is shared by every scope of a gateway, because Graph's budgets are per app and tenant, not per run.
 */
export interface Permit {
  /** The limiter epoch when the slot was granted: a 429 on a request started before the last decrease is stale. */
  readonly epoch: number;
  release(): void;
}

/** The abort reason as an Error (AbortSignal reasons are `unknown`; timeouts give a DOMException, which is one). */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('The operation was aborted', { cause: reason });
}

interface Waiter {
  readonly resolve: (permit: Permit) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class AdaptiveLimiter {
  private currentLimit: number;
  private active = 0;
  private successRun = 0;
  private epochValue = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max concurrency must be an integer >= 1, got ${max}`);
    this.currentLimit = max;
  }

  get limit(): number {
    return this.currentLimit;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  get epoch(): number {
    return this.epochValue;
  }

  /** Waits for a free slot (FIFO). Rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.waiters.length === 0 && this.active < this.currentLimit) return Promise.resolve(this.grant());
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError(signal));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Multiplicative decrease, once per epoch: a burst of 429s from requests sent together halves the limit once. */
  throttled(permitEpoch: number): void {
    this.successRun = 0;
    if (permitEpoch < this.epochValue) return;
    this.currentLimit = Math.max(1, Math.floor(this.currentLimit / 2));
    this.epochValue++;
  }

  /** Additive increase: +1 after `limit` consecutive successes (one full window), up to max. */
  succeeded(): void {
    if (this.currentLimit >= this.max) return;
    this.successRun++;
    if (this.successRun >= this.currentLimit) {
      this.currentLimit++;
      this.successRun = 0;
      this.drain();
    }
  }

  private grant(): Permit {
    this.active++;
    let released = false;
    return {
      epoch: this.epochValue,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        this.drain();
      },
    };
  }

  private drain(): void {
    while (this.active < this.currentLimit) {
      const next = this.waiters.shift();
      if (!next) return;
      next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve(this.grant());
    }
  }
}
