/** Request counters served at `/_sandbox/stats`; benchmarks and tests read this shape, so keep it stable. */
export interface SandboxStats {
  requests: number;
  subRequests: number;
  throttled: number;
  byRoute: Record<string, number>;
  byRouteInBatch: Record<string, number>;
}

export class StatsCounter {
  private data: SandboxStats = StatsCounter.empty();

  private static empty(): SandboxStats {
    return { requests: 0, subRequests: 0, throttled: 0, byRoute: {}, byRouteInBatch: {} };
  }

  count(template: string, inBatch: boolean): void {
    if (inBatch) {
      this.data.subRequests++;
      this.data.byRouteInBatch[template] = (this.data.byRouteInBatch[template] ?? 0) + 1;
    } else {
      this.data.requests++;
      this.data.byRoute[template] = (this.data.byRoute[template] ?? 0) + 1;
    }
  }

  throttled(): void {
    this.data.throttled++;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = StatsCounter.empty();
  }
}
