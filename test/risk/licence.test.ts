import { describe, expect, it } from 'vitest';

import type { TenantFile } from '../../local/sandbox';
import { generateDemoTenant } from '../../local/tenants/generateDemo';
import { useStack } from '../helpers/stack';

/**
 * A tenant without Microsoft Entra ID P2 (riskyUsers refused, detections with riskLevel "hidden") and Graph refusing a
 * permission the app was never granted, through the local host, Azurite and the sandbox.
 */
const SCALE = 50;
const tenant = generateDemoTenant();
const stack = useStack({
  tenant: JSON.parse(JSON.stringify({ ...tenant, tenant: { ...tenant.tenant, entraIdP2: false } })) as TenantFile,
  knobs: { timeScale: SCALE },
  env: { GRAPH_PACING_TIME_SCALE: String(SCALE) },
});

interface Health {
  status: string;
  risk: { ok: boolean; entraIdP2: string; missingPermissions: { permission: string }[]; detail?: string };
}

async function call<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.current.apiUrl}/api${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
}
const poll = () =>
  call<{ p2: string; opened: number; missingPermissions: string[]; errors: unknown[] }>('/risk/poll', { method: 'POST' });

describe('risk tickets in a tenant without Entra ID P2', () => {
  it('detects the missing licence once, keeps tickets flowing from detections and says so in health and tickets', async () => {
    const first = await poll();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ p2: 'absent', missingPermissions: [], errors: [] });
    const atRiskByDetection = new Set(tenant.riskDetections.filter((d) => d.riskState === 'atRisk').map((d) => d.userId));
    const list = await call<{ value: { ticketId: string; userId: string; riskLevel?: string; reason: string }[] }>('/tickets');
    const userRisk = list.body.value.filter((t) => t.reason === 'userRisk');
    expect(new Set(userRisk.map((t) => t.userId))).toEqual(atRiskByDetection);
    expect(userRisk.every((t) => t.riskLevel === 'hidden')).toBe(true);
    const detail = await call<{ sections: { lines: string[] }[] }>(`/tickets/${userRisk[0]?.ticketId ?? ''}`);
    expect(detail.body.sections.flatMap((s) => s.lines).join('\n')).toMatch(/no Microsoft Entra ID P2/);

    const health = await call<Health>('/health');
    expect(health.status).toBe(200);
    expect(health.body.risk).toMatchObject({ ok: true, entraIdP2: 'absent', missingPermissions: [] });
  });

  it('a 403 for a missing permission is named in the poll and in /api/health, and health degrades', async () => {
    const knobs = await fetch(`${stack.current.sandboxUrl}/_sandbox/knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deniedPermissions: ['AuditLog.Read.All'] }),
    });
    expect(knobs.status).toBe(200);
    const next = await poll();
    expect(next.body.missingPermissions).toEqual(['AuditLog.Read.All']);
    const health = await call<Health>('/health');
    expect(health.status).toBe(503);
    expect(health.body.risk.ok).toBe(false);
    expect(health.body.risk.detail).toMatch(/grant AuditLog\.Read\.All/);
  });
});
