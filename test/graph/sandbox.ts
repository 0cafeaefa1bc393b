/** Shared fixture for the gateway's integration tests: a small tenant on the real Graph sandbox over HTTP. */
import {
  type FaultRule,
  type GraphSandbox,
  type SandboxStats,
  startGraphSandbox,
  type TenantFile,
} from '../../local/sandbox/index';
import { createGraphGateway, type GraphGatewayOptions } from '../../shared/graph/gateway';
import type { Graph } from '../../shared/graph/types';

export const userId = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
export const BIG_GROUP = '10000000-0000-4000-8000-000000000001';
export const SMALL_GROUP = '10000000-0000-4000-8000-000000000002';
export const USER_COUNT = 2500;
export const MISSING_ID = '99999999-0000-4000-8000-000000000000';

export function testTenant(): TenantFile {
  const users = Array.from({ length: USER_COUNT }, (_, i) => ({
    id: userId(i),
    userPrincipalName: `user${i}@gateway.example`,
    displayName: `User ${i}`,
    userType: 'Member' as const,
    accountEnabled: true,
  }));
  return {
    tenant: { id: '20000000-0000-4000-8000-000000000000', displayName: 'Gateway tests', defaultDomain: 'gateway.example' },
    users,
    groups: [
      {
        id: BIG_GROUP,
        displayName: 'Everyone',
        groupTypes: [],
        mailEnabled: false,
        securityEnabled: true,
        members: users.map((u) => u.id),
      },
      {
        id: SMALL_GROUP,
        displayName: 'Few',
        groupTypes: [],
        mailEnabled: false,
        securityEnabled: true,
        members: [userId(0), userId(1)],
      },
    ],
  };
}

export class SandboxControl {
  constructor(readonly sandbox: GraphSandbox) {}

  static async start(): Promise<SandboxControl> {
    // Budget throttling off: these tests inject exact faults; throttling budgets are the sandbox's own tests' concern.
    return new SandboxControl(
      await startGraphSandbox({ tenant: testTenant(), knobs: { throttling: { enabled: false, tenantSize: 'auto' } } }),
    );
  }

  get url(): string {
    return this.sandbox.url;
  }

  private async post(path: string, body?: unknown): Promise<void> {
    const res = await fetch(`${this.sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    if (!res.ok) throw new Error(`sandbox ${path} answered ${res.status}: ${await res.text()}`);
  }

  faults(faults: FaultRule[]): Promise<void> {
    return this.post('/_sandbox/knobs', { faults });
  }

  latency(ms: number): Promise<void> {
    return this.post('/_sandbox/knobs', { latencyMs: { min: ms, max: ms } });
  }

  /** Clears faults, latency and counters so each test starts from the same sandbox. */
  async clean(): Promise<void> {
    await this.post('/_sandbox/knobs', { faults: [], latencyMs: { min: 0, max: 0 } });
    await this.post('/_sandbox/stats/reset');
  }

  async stats(): Promise<SandboxStats> {
    const res = await fetch(`${this.sandbox.url}/_sandbox/stats`);
    return (await res.json()) as SandboxStats;
  }

  close(): Promise<void> {
    return this.sandbox.close();
  }
}

/** A gateway whose waits are recorded instead of slept, so tests assert requested delays, never wall-clock time. */
export function recordingGateway(url: string, overrides: Partial<GraphGatewayOptions> = {}): { graph: Graph; sleeps: number[] } {
  const sleeps: number[] = [];
  const graph = createGraphGateway({
    baseUrl: url,
    tokenProvider: { getToken: async () => 'gateway-tests' },
    maxConcurrency: 4,
    maxRetries: 3,
    maxBackoffMs: 60_000,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { graph, sleeps };
}
