/**
 * The local host's options and the small logger surface it needs (a pino `Logger` fits). Settings (`%NAME%`
 * placeholders, `connection` names) are looked up in `env` first, then in `process.env`, as the Functions host reads
 * app settings.
 */
export interface HostLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): HostLogger;
}

/** host.json `extensions.queues`, in milliseconds (see hostJson.ts for the mapping). */
export interface QueueSettings {
  /** Upper bound of the empty-queue backoff (host default 1 min; 2 s in our host.json; capped at 1 s locally). */
  readonly maxPollingIntervalMs: number;
  /** Delay before a failed message becomes visible again (host default 0). */
  readonly visibilityTimeoutMs: number;
  readonly batchSize: number;
  readonly newBatchThreshold: number;
  readonly maxDequeueCount: number;
  readonly messageEncoding: 'base64' | 'none';
  /** Not a host.json setting: how long a running message stays invisible (the host uses 10 min and renews it). */
  readonly leaseMs: number;
}

export interface HostSettings {
  /** host.json `extensions.http.routePrefix` (default `api`). */
  readonly routePrefix: string;
  readonly queues: QueueSettings;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  maxPollingIntervalMs: 1_000,
  visibilityTimeoutMs: 0,
  batchSize: 16,
  newBatchThreshold: 8,
  maxDequeueCount: 5,
  messageEncoding: 'base64',
  leaseMs: 600_000,
};

export const DEFAULT_HOST_SETTINGS: HostSettings = { routePrefix: 'api', queues: DEFAULT_QUEUE_SETTINGS };
