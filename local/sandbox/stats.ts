/** Request counters served at `/_sandbox/stats`; benchmarks and tests read this shape, so keep it stable. */
export interface SandboxStats {
  requests: number;
  subRequests: number;
  throttled: number;
  byRoute: Record<string, number>;
  byRouteInBatch: Record<string, number>;
}

/**
 * Keys a write is counted under at `/_sandbox/stats/writes`, so a test can tell a write sent twice to the same object
 * (or for the same member) from more writes spread over more objects: `METHOD /path` for a write to one object, one
 * `METHOD /path +<member id>` per member a `members@odata.bind` PATCH or a `$ref` POST binds, and `POST /path
 * +<phoneType>` for a phone method (a user may hold one per type).
 */
export function writeKeys(method: string, path: string, body: unknown): string[] {
  const target = `${method.toUpperCase()} ${path}`;
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const memberId = (ref: unknown): string => (typeof ref === 'string' ? (ref.split('/').pop() ?? ref) : '?');
  const bound = fields['members@odata.bind'];
  if (Array.isArray(bound)) return bound.map((ref) => `${target} +${memberId(ref)}`);
  if (typeof fields['@odata.id'] === 'string') return [`${target} +${memberId(fields['@odata.id'])}`];
  if (typeof fields.phoneType === 'string') return [`${target} +${fields.phoneType}`];
  return [target];
}

export class StatsCounter {
  private data: SandboxStats = StatsCounter.empty();
  private writeCounts = new Map<string, number>();

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

  /** A write that reached its handler (applied or refused by it), under each of its writeKeys(). */
  countWrite(method: string, path: string, body: unknown): void {
    for (const key of writeKeys(method, path, body)) this.writeCounts.set(key, (this.writeCounts.get(key) ?? 0) + 1);
  }

  writes(): Record<string, number> {
    return Object.fromEntries(this.writeCounts);
  }

  throttled(): void {
    this.data.throttled++;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = StatsCounter.empty();
    this.writeCounts.clear();
  }
}
