import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import { startGraphSandbox, tenantFileSchema } from '../../../local/sandbox';
import {
  DEMO_BASE_DATE,
  DEMO_CA_POLICIES,
  DEMO_DEPARTMENT_GROUPS,
  DEMO_GROUPS,
  DEMO_NAMED_LOCATIONS,
  DEMO_USERS,
} from '../../../local/tenants/demoIds';
import {
  defaultDemoPath,
  type DemoTenantFile,
  generateDemoTenant,
  serializeDemoTenant,
} from '../../../local/tenants/generateDemo';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let tenant: DemoTenantFile;
beforeAll(() => {
  tenant = generateDemoTenant();
});

function directoryIds(t: DemoTenantFile): Set<string> {
  return new Set([...t.users, ...t.groups, ...t.devices, ...t.servicePrincipals].map((o) => o.id ?? ''));
}

describe('demo tenant generator', () => {
  it('produces the same tenant on every run', () => {
    expect(serializeDemoTenant(generateDemoTenant())).toBe(serializeDemoTenant(tenant));
  });

  it('matches the committed demo.json', () => {
    expect(readFileSync(defaultDemoPath(), 'utf8')).toBe(serializeDemoTenant(tenant));
  });

  it('keeps demo.json under 1.5 MB', () => {
    expect(Buffer.byteLength(serializeDemoTenant(tenant))).toBeLessThan(1_500_000);
  });

  it('gives every directory object a unique GUID id', () => {
    const ids = [...tenant.users, ...tenant.groups, ...tenant.devices, ...tenant.servicePrincipals].map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(GUID);
  });

  it('dates nothing after the base date', () => {
    const base = Date.parse(DEMO_BASE_DATE);
    const dates = [
      ...tenant.users.map((u) => u.createdDateTime),
      ...tenant.signIns.map((s) => s.createdDateTime),
      ...tenant.riskDetections.map((d) => d.lastUpdatedDateTime),
      ...tenant.riskyUsers.map((r) => r.riskLastUpdatedDateTime),
    ];
    for (const d of dates) {
      expect(d).toMatch(ISO);
      expect(Date.parse(String(d))).toBeLessThanOrEqual(base);
    }
  });

  it('has ~300 users with 30 guests, 15 disabled and some synced members', () => {
    expect(tenant.users).toHaveLength(300);
    expect(tenant.users.filter((u) => u.userType === 'Guest')).toHaveLength(30);
    expect(tenant.users.filter((u) => u.accountEnabled === false)).toHaveLength(15);
    expect(tenant.users.filter((u) => u.onPremisesSyncEnabled === true).length).toBeGreaterThan(20);
    for (const g of tenant.users.filter((u) => u.userType === 'Guest')) {
      expect(g.userPrincipalName).toMatch(/^[^@]+_[^@]+#EXT#@contosodemo\.onmicrosoft\.com$/);
      expect(g.creationType).toBe('Invitation');
      expect(['Accepted', 'PendingAcceptance']).toContain(g.externalUserState);
    }
  });

  it('resolves every member, sponsor, phone, TAP, role, risk and sign-in reference', () => {
    const ids = directoryIds(tenant);
    const userIds = new Set(tenant.users.map((u) => u.id ?? ''));
    const missing: string[] = [];
    const check = (where: string, id: string | null | undefined, pool: Set<string>): void => {
      if (!id || !pool.has(id)) missing.push(`${where}: ${String(id)}`);
    };
    for (const g of tenant.groups) for (const m of g.members) check(`group ${g.displayName ?? ''}`, m, ids);
    for (const [guest, sponsors] of Object.entries(tenant.sponsors)) {
      check('sponsored guest', guest, userIds);
      for (const s of sponsors) check('sponsor', s, userIds);
    }
    for (const u of Object.keys(tenant.phoneMethods)) check('phoneMethods', u, userIds);
    for (const u of Object.keys(tenant.temporaryAccessPassMethods)) check('TAP', u, userIds);
    for (const a of tenant.directoryRoleAssignments) check('role assignment', a.principalId, ids);
    for (const r of tenant.riskyUsers) check('riskyUser', r.id, userIds);
    for (const d of tenant.riskDetections) check('riskDetection', d.userId, userIds);
    for (const s of tenant.signIns) check('signIn', s.userId, userIds);
    expect(missing).toEqual([]);
  });

  it('links realtime sign-in risk detections to their sign-ins by request and correlation id', () => {
    const signIns = new Map(tenant.signIns.map((s) => [s.id, s]));
    const linked = tenant.riskDetections.filter((d) => d.activity === 'signin');
    expect(linked.length).toBeGreaterThan(5);
    for (const d of linked) {
      const s = signIns.get(d.requestId ?? '');
      expect(s?.correlationId).toBe(d.correlationId);
      expect(s?.userId).toBe(d.userId);
    }
  });

  it('names every well-known user and group with the advertised id', () => {
    const users = new Map(tenant.users.map((u) => [u.id, u]));
    for (const ref of Object.values(DEMO_USERS)) {
      expect(users.get(ref.id)?.userPrincipalName).toBe(ref.userPrincipalName);
      expect(users.get(ref.id)?.displayName).toBe(ref.displayName);
    }
    const groups = new Map(tenant.groups.map((g) => [g.id, g]));
    for (const ref of Object.values(DEMO_GROUPS)) expect(groups.get(ref.id)?.displayName).toBe(ref.displayName);
    for (const [dept, id] of Object.entries(DEMO_DEPARTMENT_GROUPS)) expect(groups.get(id)?.displayName).toBe(`Dept - ${dept}`);
  });

  it('gives Group1Name 40 members and leaves Group2Name empty', () => {
    const g1 = tenant.groups.find((g) => g.id === DEMO_GROUPS.group1Name.id);
    const g2 = tenant.groups.find((g) => g.id === DEMO_GROUPS.group2Name.id);
    expect(g1?.members).toHaveLength(40);
    expect(g2?.members).toEqual([]);
  });

  it('points the memberOf dynamic rule at existing groups', () => {
    const g = tenant.groups.find((x) => x.id === DEMO_GROUPS.memberOfDynamic.id);
    const referenced = [...String(g?.membershipRule).matchAll(/'([0-9a-f-]{36})'/g)].map((m) => m[1]);
    expect(referenced).toHaveLength(2);
    const groupIds = new Set(tenant.groups.map((x) => x.id));
    for (const id of referenced) expect(groupIds.has(id)).toBe(true);
  });

  it('targets the SMS policy at the SMS sign-in group and makes TAP one-time only', () => {
    const [tap, sms] = tenant.authenticationMethodsPolicy.authenticationMethodConfigurations;
    expect(tap).toMatchObject({
      id: 'TemporaryAccessPass',
      isUsableOnce: true,
      minimumLifetimeInMinutes: 60,
      maximumLifetimeInMinutes: 480,
    });
    expect(sms?.includeTargets?.[0]).toMatchObject({ id: DEMO_GROUPS.smsSignIn.id, isUsableForSignIn: true });
  });

  it('excludes the break-glass accounts from every CA policy except the sign-in risk policy', () => {
    const bg = [DEMO_USERS.breakGlass1.id, DEMO_USERS.breakGlass2.id];
    const unprotected = tenant.conditionalAccessPolicies
      .filter((p) => {
        const users = p.conditions?.users;
        const viaGroup = users?.excludeGroups?.includes(DEMO_GROUPS.breakGlassExclusion.id) ?? false;
        const viaUsers = bg.every((id) => users?.excludeUsers?.includes(id));
        return !viaGroup && !viaUsers;
      })
      .map((p) => p.id);
    expect(unprotected).toEqual([DEMO_CA_POLICIES.signInRisk.id]);
  });

  it('references only existing named locations and groups from CA policies', () => {
    const locations = new Set<string>([...tenant.namedLocations.map((l) => l.id ?? ''), 'All', 'AllTrusted']);
    const groups = new Set(tenant.groups.map((g) => g.id ?? ''));
    for (const p of tenant.conditionalAccessPolicies) {
      for (const l of [
        ...(p.conditions?.locations?.includeLocations ?? []),
        ...(p.conditions?.locations?.excludeLocations ?? []),
      ]) {
        expect(locations.has(l)).toBe(true);
      }
      const u = p.conditions?.users;
      for (const g of [...(u?.includeGroups ?? []), ...(u?.excludeGroups ?? [])]) expect(groups.has(g)).toBe(true);
    }
    const country = tenant.namedLocations.find((l) => l.id === DEMO_NAMED_LOCATIONS.untrustedCountries.id);
    expect(country?.['@odata.type']).toBe('#microsoft.graph.countryNamedLocation');
  });

  it('blames 53003 on a Block policy and 53000 on the compliant-device policy', () => {
    const names = new Map(tenant.conditionalAccessPolicies.map((p) => [p.id, p.displayName]));
    const failures = (s: DemoTenantFile['signIns'][number]) =>
      (s.appliedConditionalAccessPolicies ?? []).filter((a) => a.result === 'failure');
    const blockers = new Set<string>();
    for (const s of tenant.signIns) {
      const failed = failures(s);
      const blocked = failed.filter((a) => a.enforcedGrantControls?.includes('Block'));
      if (s.status?.errorCode === 53003) {
        expect(blocked.length).toBeGreaterThan(0);
        for (const a of blocked) blockers.add(a.id ?? '');
      }
      if (s.status?.errorCode === 53000) {
        expect(blocked).toEqual([]);
        expect(failed.map((a) => a.id)).toContain(DEMO_CA_POLICIES.compliantDevice.id);
      }
      if (s.status?.errorCode === 0) expect(failed).toEqual([]);
      for (const a of s.appliedConditionalAccessPolicies ?? []) expect(a.displayName).toBe(names.get(a.id ?? ''));
    }
    expect(blockers).toEqual(
      new Set([
        DEMO_CA_POLICIES.blockLegacyAuth.id,
        DEMO_CA_POLICIES.untrustedCountries.id,
        DEMO_CA_POLICIES.blockHighUserRisk.id,
      ]),
    );
  });

  it('blocks the risky guest through the user-risk policy', () => {
    const blocked = tenant.signIns.filter(
      (s) =>
        s.userId === DEMO_USERS.riskyGuest.id &&
        s.status?.errorCode === 53003 &&
        s.appliedConditionalAccessPolicies?.some((a) => a.id === DEMO_CA_POLICIES.blockHighUserRisk.id && a.result === 'failure'),
    );
    expect(blocked.length).toBeGreaterThan(0);
  });

  it('passes the sandbox tenant-file schema', () => {
    const parsed = tenantFileSchema.safeParse(JSON.parse(readFileSync(defaultDemoPath(), 'utf8')));
    expect(parsed.success ? [] : parsed.error.issues.slice(0, 5)).toEqual([]);
  });

  it('is what the sandbox serves by default: Group1Name pages to 40 members', async () => {
    const sandbox = await startGraphSandbox({ knobs: { throttling: { enabled: false, tenantSize: 'auto' } } });
    try {
      const ids: string[] = [];
      let next: string | undefined = `${sandbox.url}/v1.0/groups/${DEMO_GROUPS.group1Name.id}/members?$select=id&$top=15`;
      while (next) {
        const res = await fetch(next, { headers: { Authorization: 'Bearer demo-tenant-test' } });
        expect(res.status).toBe(200);
        const page = (await res.json()) as { value: { id: string }[]; '@odata.nextLink'?: string };
        ids.push(...page.value.map((m) => m.id));
        next = page['@odata.nextLink'];
      }
      expect(new Set(ids).size).toBe(40);
      expect(ids).toContain(DEMO_USERS.disabledLeaver.id);
    } finally {
      await sandbox.close();
    }
  });
});
