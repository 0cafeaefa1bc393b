import { InvocationContext, type Timer } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';

import { caBreakGlassGetHandler } from '../../functions/caBreakGlassGet';
import { caBreakGlassTimerHandler } from '../../functions/caBreakGlassTimer';
import { DEMO_CA_POLICIES, DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import type { BreakGlassRun } from '../../shared/conditional-access/breakGlass';
import { setServices } from '../../shared/runtime/services';
import { call, graphAdmin, resetSandbox, useCaHarness } from './harness';

/** The break-glass guard through its HTTP route and timer, on Azurite and the demo tenant in the Graph sandbox. */
const BG_USERS = [DEMO_USERS.breakGlass1.id, DEMO_USERS.breakGlass2.id];
const harness = useCaHarness({ CA_BREAK_GLASS_USERS: BG_USERS.join(','), CA_BREAK_GLASS_GROUPS: '' });

function configure(env: Record<string, string>): void {
  Object.assign(process.env, env);
  setServices(undefined);
}

beforeEach(async () => {
  await resetSandbox(harness.current);
  configure({ CA_BREAK_GLASS_USERS: BG_USERS.join(','), CA_BREAK_GLASS_GROUPS: '', CA_BREAK_GLASS_AUTOFIX: 'false' });
});

const check = async () => {
  const res = await call(caBreakGlassGetHandler);
  return { status: res.status, run: res.body as unknown as BreakGlassRun };
};

describe('break-glass guard', () => {
  it("finds the demo tenant's one policy that does not exclude the break-glass accounts, and opens one ticket for it", async () => {
    const { status, run } = await check();
    expect(status).toBe(200);
    expect(run.status).toBe('succeeded');
    expect(run.checkedPolicies).toBe(8);
    expect(run.violations.map((v) => v.policyName)).toEqual([DEMO_CA_POLICIES.signInRisk.displayName]);
    const v = run.violations[0]!;
    expect(v.missingUsers.map((u) => u.displayName).sort()).toEqual(['Break Glass 1', 'Break Glass 2']);
    expect(v.fix).toBeUndefined();
    expect(v.ticket).toMatchObject({ provider: 'builtin', externalId: expect.any(String) as unknown });

    const again = await check();
    expect(again.run.violations[0]!.ticket).toEqual(v.ticket);
  });

  it('checks disabled and report-only policies too, and requires configured groups to be excluded themselves', async () => {
    configure({ CA_BREAK_GLASS_GROUPS: DEMO_GROUPS.breakGlassExclusion.id });
    const { run } = await check();
    // "Block legacy authentication" excludes both accounts one by one but not the group.
    expect(run.violations.map((v) => v.policyId).sort()).toEqual(
      [DEMO_CA_POLICIES.blockLegacyAuth.id, DEMO_CA_POLICIES.signInRisk.id].sort(),
    );
    await graphAdmin(harness.current, `/v1.0/identity/conditionalAccess/policies/${DEMO_CA_POLICIES.guestsTermsDisabled.id}`, {
      method: 'PATCH',
      body: { conditions: { users: { excludeGroups: [] } } },
    });
    const after = await check();
    expect(after.run.violations.map((v) => v.policyId)).toContain(DEMO_CA_POLICIES.guestsTermsDisabled.id);
  });

  it('treats a configured id that does not exist as a configuration error, never a pass', async () => {
    configure({ CA_BREAK_GLASS_USERS: `${BG_USERS[0]},11111111-2222-4333-8444-555555555555` });
    const { status, run } = await check();
    expect(status).toBe(409);
    expect(run.status).toBe('blocked');
    expect(run.configurationErrors).toEqual([
      { id: '11111111-2222-4333-8444-555555555555', problem: expect.stringMatching(/does not exist/) as unknown },
    ]);
    expect(run.checkedPolicies).toBe(0);
  });

  it('treats an empty configuration as a configuration error', async () => {
    configure({ CA_BREAK_GLASS_USERS: '', CA_BREAK_GLASS_GROUPS: '' });
    const { status, run } = await check();
    expect(status).toBe(409);
    expect(run.configurationErrors[0]?.problem).toMatch(/no break-glass accounts/);
  });

  it('shows the fix as planned on GET and applies it from the timer only when auto-fix is on', async () => {
    const h = harness.current;
    configure({ CA_BREAK_GLASS_AUTOFIX: 'true' });
    const { run } = await check();
    expect(run.violations[0]!.fix).toBe('planned');
    const path = `/v1.0/identity/conditionalAccess/policies/${DEMO_CA_POLICIES.signInRisk.id}`;
    const before = (await graphAdmin(h, path)).body as { conditions: { users: { excludeUsers: string[] } } };
    expect(before.conditions.users.excludeUsers).toEqual([]);

    await caBreakGlassTimerHandler({} as Timer, new InvocationContext({ invocationId: 'bg', functionName: 'caBreakGlassTimer' }));
    const after = (await graphAdmin(h, path)).body as {
      conditions: { users: { excludeUsers: string[]; includeUsers: string[] } };
    };
    expect(after.conditions.users.excludeUsers.sort()).toEqual([...BG_USERS].sort());
    expect(after.conditions.users.includeUsers).toEqual(['All']);
    const clean = await check();
    expect(clean.run.violations).toEqual([]);
  });
});
