import { beforeEach, describe, expect, it } from 'vitest';

import { caWhyBlockedHandler } from '../../functions/caWhyBlocked';
import { DEMO_CA_POLICIES, DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import type { WhyBlockedReport } from '../../shared/conditional-access/whyBlocked';
import { call, resetSandbox, setKnobs, useCaHarness } from './harness';

/** GET /api/ca/why-blocked on the demo tenant in the Graph sandbox over HTTP. */
const harness = useCaHarness();
const SINCE = '2026-10-25T00:00:00Z';

beforeEach(async () => {
  await resetSandbox(harness.current);
});

const ask = (query: Record<string, string>) => call(caWhyBlockedHandler, { query: { since: SINCE, ...query } });

describe('why-blocked', () => {
  it('explains a 53003 by the untrusted-countries policy and the break-glass group that would exempt the user', async () => {
    const res = await ask({ user: DEMO_USERS.countryBlocked.userPrincipalName });
    expect(res.status).toBe(200);
    const report = res.body as unknown as WhyBlockedReport;
    expect(report.user.id).toBe(DEMO_USERS.countryBlocked.id);
    expect(report.signIns.length).toBeGreaterThanOrEqual(3);
    for (const s of report.signIns) {
      expect(s.errorCode).toBe(53003);
      expect(s.meaning).toMatch(/BlockedByConditionalAccess/);
      expect(s.location).toMatch(/RU/);
      expect(s.failedPolicies).toEqual([
        {
          id: DEMO_CA_POLICIES.untrustedCountries.id,
          name: DEMO_CA_POLICIES.untrustedCountries.displayName,
          state: 'enabled',
          unmetGrantControls: ['Block'],
          unmetSessionControls: [],
          exemptingGroups: [{ id: DEMO_GROUPS.breakGlassExclusion.id, displayName: DEMO_GROUPS.breakGlassExclusion.displayName }],
        },
      ]);
      expect(s.policyDetails).toBe('available');
    }
    expect(report.notes).toEqual([]);
  });

  it('explains a 53000 by the compliant-device policy, with the device facts and both exclusion groups', async () => {
    const res = await ask({ user: DEMO_USERS.deviceNotCompliant.id });
    expect(res.status).toBe(200);
    const report = res.body as unknown as WhyBlockedReport;
    expect(report.signIns.length).toBeGreaterThanOrEqual(4);
    const s = report.signIns[0]!;
    expect(s.errorCode).toBe(53000);
    expect(s.device).toMatchObject({ compliant: false, managed: false });
    expect(s.failedPolicies.map((p) => p.name)).toEqual([DEMO_CA_POLICIES.compliantDevice.displayName]);
    expect(s.failedPolicies[0]!.exemptingGroups.map((g) => g.displayName).sort()).toEqual(
      [DEMO_GROUPS.breakGlassExclusion.displayName, DEMO_GROUPS.temporaryExclusion.displayName].sort(),
    );
  });

  it('lists report-only policies that would have failed apart from the enforced ones', async () => {
    const res = await ask({ user: DEMO_USERS.deviceNotCompliant.id });
    const report = res.body as unknown as WhyBlockedReport;
    const reportOnly = report.signIns.flatMap((s) => s.reportOnlyWouldFail);
    for (const p of reportOnly) expect(p.state).toBe('enabledForReportingButNotEnforced');
    for (const s of report.signIns) {
      for (const p of s.failedPolicies) expect(p.state).not.toBe('enabledForReportingButNotEnforced');
    }
  });

  it('narrows to one sign-in by correlation id', async () => {
    const all = (await ask({ user: DEMO_USERS.countryBlocked.id })).body as unknown as WhyBlockedReport;
    const one = all.signIns[1]!;
    const res = await ask({ user: DEMO_USERS.countryBlocked.id, correlationId: one.correlationId! });
    expect((res.body as unknown as WhyBlockedReport).signIns.map((s) => s.id)).toEqual([one.id]);
  });

  it('says exactly that the policies were withheld when the app lacks Policy.Read.All', async () => {
    await setKnobs(harness.current, {
      deniedPermissions: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess', 'Policy.Read.ConditionalAccess'],
    });
    const res = await ask({ user: DEMO_USERS.countryBlocked.id });
    expect(res.status).toBe(200);
    const report = res.body as unknown as WhyBlockedReport;
    expect(report.signIns.length).toBeGreaterThan(0);
    for (const s of report.signIns) {
      expect(s.policyDetails).toBe('withheld');
      expect(s.failedPolicies).toEqual([]);
    }
    expect(report.notes.join(' ')).toMatch(/withheld appliedConditionalAccessPolicies.*Policy\.Read\.All/);
  });

  it('answers 404 USER_NOT_FOUND for an unknown user', async () => {
    const res = await ask({ user: 'nobody@contosodemo.onmicrosoft.com' });
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('USER_NOT_FOUND');
  });

  it('says so when the user has no blocked sign-ins', async () => {
    const res = await ask({ user: DEMO_USERS.salesManager.id, since: '2026-11-19T23:59:00Z' });
    expect(res.status).toBe(200);
    const report = res.body as unknown as WhyBlockedReport;
    expect(report.signIns).toEqual([]);
    expect(report.notes[0]).toMatch(/No sign-ins|none blocked by Conditional Access/);
  });

  it('refuses malformed queries with 400 and the field to fix', async () => {
    const bad: Record<string, string>[] = [
      {},
      { user: 'x', since: 'yesterday' },
      { user: 'x', correlationId: 'nope' },
      { user: 'x', extra: '1' },
    ];
    for (const query of bad) {
      const res = await call(caWhyBlockedHandler, { query });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('INVALID_QUERY');
    }
  });
});
