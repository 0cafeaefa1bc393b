/** What every benchmark shares: its options, calls to the sandbox's control routes and a peak-memory probe. */
export interface BenchOptions {
  readonly smoke: boolean;
  readonly log: (line: string) => void;
}

/** Graph's write quota per app and tenant (graph-facts §3): 3,000 writes per 150 s. Sets the throttle-bound time. */
export const WRITE_QUOTA = 3000;
export const WRITE_WINDOW_MS = 150_000;

/** Request counters of the sandbox (`GET /_sandbox/stats`). */
export type SandboxCounts = { requests: number; subRequests: number; throttled: number };

/** GET (no body) or POST (JSON body) to a sandbox control route such as `/_sandbox/knobs`. */
export async function sandboxControl(sandboxUrl: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandboxUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * Samples this process's memory every 25 ms until stopped; returns the peaks in MB (one decimal): RSS, the V8 heap in
 * use and reserved, and memory outside the heap (Buffers and other external allocations).
 */
export function memoryProbe(): {
  stop(): { peakRssMb: number; peakHeapMb: number; peakHeapTotalMb: number; peakExternalMb: number };
} {
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of ['rss', 'heapUsed', 'heapTotal', 'external'] as const) peak[k] = Math.max(peak[k], m[k]);
  };
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  sample();
  const timer = setInterval(sample, 25);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return {
        peakRssMb: mb(peak.rss),
        peakHeapMb: mb(peak.heapUsed),
        peakHeapTotalMb: mb(peak.heapTotal),
        peakExternalMb: mb(peak.external),
      };
    },
  };
}
