import { beforeEach, describe, expect, it } from 'vitest';

import { remediationsPostHandler } from '../../functions/remediationsPost';
import type { TenantFile } from '../../local/sandbox';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { generateDemoTenant } from '../../local/tenants/generateDemo';
import { call, riskyUser, sandboxControl, user, useRemediationHarness } from './harness';

/**
 * A tenant without Microsoft Entra ID P2: the sandbox refuses the riskyUsers API as Graph does, so dismiss and
 * confirmCompromised must be refused in pre-flight with the reason and the way out, before any write is tried, while
 * actions that need no P2 still run. Through the real handler, Azurite and the sandbox.
 */
const demo = generateDemoTenant();
const harness = useRemediationHarness(
  {},
  { tenant: JSON.parse(JSON.stringify({ ...demo, tenant: { ...demo.tenant, entraIdP2: false } })) as TenantFile },
);

beforeEach(async () => {
  await sandboxControl(harness.current, 'reset');
});

const remediate = (body: Record<string, unknown>) => call(harness.current, remediationsPostHandler, { method: 'POST', body });

describe('remediation pre-flight in a tenant without Entra ID P2', () => {
  it('refuses dismiss and confirmCompromised naming the licence, and changes no risk state', async () => {
    const h = harness.current;
    const id = DEMO_USERS.riskyHigh.id;
    const before = await riskyUser(h, id);
    await sandboxControl(h, 'stats/reset');
    for (const action of ['dismiss', 'confirmCompromised']) {
      const refused = await remediate({ userId: id, action, reason: 'no P2 here' });
      expect(refused.body).toMatchObject({
        state: 'refused',
        action,
        outcome: { code: 'REMEDIATION_NEEDS_P2', fix: expect.stringContaining('P2') as unknown },
      });
      expect(JSON.stringify(refused.body)).toContain('Microsoft Entra ID P2');
    }
    expect(await riskyUser(h, id)).toEqual(before);
    const stats = (await (await fetch(`${h.sandbox.url}/_sandbox/stats`)).json()) as { byRoute: Record<string, number> };
    const writes = Object.keys(stats.byRoute).filter((r) => r.includes('dismiss') || r.includes('confirmCompromised'));
    expect(writes, 'no dismiss or confirm call was sent').toEqual([]);
  });

  it('still runs actions that need no P2', async () => {
    const h = harness.current;
    const id = DEMO_USERS.riskyHigh.id;
    expect((await remediate({ userId: id, action: 'revokeSessions', reason: 'stolen laptop' })).body).toMatchObject({
      state: 'succeeded',
    });
    expect((await user(h, id)).signInSessionsValidFromDateTime).toBeTruthy();
  });
});
