/**
 * Client-side budget for Graph's write quota: 3,000 writes per 150 s per app per tenant
 * (https://learn.microsoft.com/graph/throttling-limits, identity and access service limits). A write is any request
 * that is not a GET, counted once per `$batch` item. Reacting to 429s would be too late: once the quota is spent every
 * write is refused for the rest of the window, and each refused `$batch` item costs a retry. So writes take tokens from
 * a bucket with Graph's capacity and refill rate before they are sent, and wait when it is empty: a large sync or
 * import runs at the quota's pace and is never refused for it.
 *
 * Every attempt takes tokens (a retried write is a write to Graph too), so the budget never runs ahead of Graph's.
 * The bucket is per gateway (per process); other instances or apps writing with the same identity share Graph's quota
 * but not this bucket, and their 429s are still retried by the gateway.
 */
import { abortError } from './concurrency';

export const GRAPH_WRITE_QUOTA = { writes: 3_000, windowMs: 150_000 } as const;

type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export class WriteQuota {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();
  private readonly perMs: number;

  /**
   * @param timeScale divides the window; only for the local Graph sandbox, whose windows are divided by its own
   *   timeScale knob. Against Graph it is always 1.
   */
  constructor(
    timeScale: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
    private readonly capacity: number = GRAPH_WRITE_QUOTA.writes,
  ) {
    if (!(timeScale > 0)) throw new RangeError(`write quota timeScale must be > 0, got ${timeScale}`);
    this.perMs = capacity / (GRAPH_WRITE_QUOTA.windowMs / timeScale);
    this.tokens = capacity;
    this.last = now();
  }

  /** Waits until `writes` tokens are free, then takes them. Callers are served in order, so none starves. */
  take(writes: number, signal?: AbortSignal): Promise<void> {
    if (writes <= 0) return Promise.resolve();
    const cost = Math.min(writes, this.capacity);
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    return (async () => {
      try {
        await previous;
        if (signal?.aborted) throw abortError(signal);
        this.refill();
        if (this.tokens < cost) {
          await this.sleep(Math.ceil((cost - this.tokens) / this.perMs), signal);
          this.refill();
        }
        this.tokens -= cost;
      } finally {
        release();
      }
    })();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }
}
