import { afterAll, describe, expect, it } from 'vitest';

import { DEMO_CA_POLICIES, DEMO_USERS } from '../../local/tenants/demoIds';
import { type Exclusion, exclusionGroupName } from '../../shared/conditional-access/exclusions';
import { getServices } from '../../shared/runtime/services';
import { TableCaExclusionStore } from '../../shared/storage/caExclusionStore';
import { graphAdmin, useCaHarness } from '../conditional-access/harness';
import type { AppStack } from '../helpers/appStack';
import { killChildren, type KillScenario } from './killHarness';
import { KILL_TEST_TIMEOUT_MS, killAndRerun, KILLS } from './killRun';

/**
 * The expiring-exclusions timer killed at KILLS points: as it stores a removal's intent, as it sends a membership
 * DELETE or once Graph answered it, as it stores an exclusion as expired, as it writes the audit row. Recovered as
 * production recovers: the next timer tick, on a host 10 minutes later. Every user must end up out of the exclusion
 * group and every exclusion expired, with no DELETE sent twice (a tick that finds a removal started reads the group
 * first) and no audit row written twice.
 */
const harness = useCaHarness();
afterAll(killChildren);

const POLICY = DEMO_CA_POLICIES.compliantDevice.id;
/** Fixed ids, so write counters and stored rows of every run are comparable with the clean run's. */
const GROUP = '7c0e5a44-3d1b-4f6e-9a2c-5b8d1e0f4a61';
const USERS = [
  DEMO_USERS.deviceNotCompliant,
  DEMO_USERS.smsReady,
  DEMO_USERS.smsNoPhone,
  DEMO_USERS.exchangeOnly,
  DEMO_USERS.countryBlocked,
  DEMO_USERS.salesManager,
  DEMO_USERS.tapOneTimeUsed,
  DEMO_USERS.remediated,
].map((u) => ({ id: u.id, userPrincipalName: u.userPrincipalName }));
const exclusionId = (i: number) => `5e2b7d90-1c4a-4f3e-8b6d-${String(i).padStart(12, '0')}`;
const SINCE = new Date(Date.now() - 3_600_000);
const UNTIL = new Date(Date.now() + 7 * 24 * 3_600_000);

const store = () => new TableCaExclusionStore(getServices().storage);

/** The policy's dedicated exclusion group, excluded by the policy, with every user a member (as the POST route leaves it). */
async function addExclusionGroup(stack: AppStack): Promise<void> {
  const tenant = (await graphAdmin(stack, '/_sandbox/tenant')).body as {
    groups?: Record<string, unknown>[];
    conditionalAccessPolicies?: { id: string; conditions?: { users?: { excludeGroups?: string[] } } }[];
  };
  tenant.groups = [
    ...(tenant.groups ?? []),
    {
      id: GROUP,
      displayName: exclusionGroupName(POLICY),
      mailNickname: 'ca-exclusion-kill',
      groupTypes: [],
      mailEnabled: false,
      securityEnabled: true,
      members: USERS.map((u) => u.id),
    },
  ];
  const users = tenant.conditionalAccessPolicies?.find((p) => p.id === POLICY)?.conditions?.users;
  if (!users) throw new Error(`the demo tenant has no policy ${POLICY} with user conditions`);
  users.excludeGroups = [...(users.excludeGroups ?? []), GROUP];
  const loaded = await graphAdmin(stack, '/_sandbox/tenant', { method: 'POST', body: tenant });
  if (loaded.status !== 204) throw new Error(`loading the tenant: ${loaded.status} ${JSON.stringify(loaded.body)}`);
}

/** Exclusions already past expiresAt when the timer runs (each a minute apart). */
async function storeDueExclusions(): Promise<void> {
  const now = Date.now();
  for (const [i, user] of USERS.entries()) {
    const exclusion: Exclusion = {
      exclusionId: exclusionId(i),
      policyId: POLICY,
      policyName: DEMO_CA_POLICIES.compliantDevice.displayName,
      groupId: GROUP,
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      expiresAt: new Date(now - (i + 1) * 60_000).toISOString(),
      reason: 'travel without a compliant device',
      createdBy: 'admin@contosodemo.onmicrosoft.com',
      createdAt: new Date(now - 86_400_000).toISOString(),
      status: 'active',
    };
    await store().put(exclusion);
  }
}

const exclusionsDone = async () => (await store().listActive()).length === 0;

interface ExclusionsSnapshot {
  readonly members: string[];
  /** Per exclusion: user, status and who ended it (times normalised away). */
  readonly exclusions: string[];
  /** Audit rows written more than once (must be none). */
  readonly auditTwice: string[];
  /** Not compared: see `gaps` below. */
  readonly audit?: string[];
}

async function snapshot(stack: AppStack): Promise<ExclusionsSnapshot> {
  const res = await graphAdmin(stack, `/v1.0/groups/${GROUP}/members?$select=id`);
  const members = ((res.body as { value?: { id: string }[] }).value ?? []).map((m) => m.id).sort();
  const exclusions: string[] = [];
  for (const [i] of USERS.entries()) {
    const e = await store().get(exclusionId(i));
    exclusions.push(`${e?.userId} ${e?.status} ${e?.endedBy ?? '-'} ${e?.endedAt ? 'ended' : 'open'}`);
  }
  const rows = (await getServices().audit.list({ since: SINCE, until: UNTIL, limit: 10_000 }))
    .filter((a) => a.job === 'ca-exclusions')
    .map((a) => `${a.action} ${a.target ?? ''} ${a.outcome}`)
    .sort();
  const snap: ExclusionsSnapshot = {
    members,
    exclusions: exclusions.sort(),
    auditTwice: rows.filter((row, i) => rows.indexOf(row) !== i),
  };
  // Kept beside the compared state (non-enumerable), so toEqual compares members, exclusions and duplicates.
  Object.defineProperty(snap, 'audit', { value: rows, enumerable: false });
  return snap;
}

const scenario: KillScenario<ExclusionsSnapshot> = {
  name: 'ca-exclusions',
  targets: ['graph', 'storage'],
  functions: ['caExclusionsTimer'],
  async setup(stack) {
    await addExclusionGroup(stack);
    await storeDueExclusions();
  },
  start: (child) => child.invoke('caExclusionsTimer'),
  // The next tick (the schedule runs every 5 minutes) on a host 10 minutes later.
  recovery: [{ clockMinutes: 30, run: (child) => child.invoke('caExclusionsTimer'), settled: exclusionsDone }],
  done: exclusionsDone,
  snapshot,
  items: (s) => s.exclusions,
  // Known gap, reported: a run killed after it stored an exclusion as expired and before it wrote the audit row leaves
  // that expiry unaudited; the exclusion is no longer active, so no later tick comes back to it.
  gaps: (clean, killed) => {
    const have = new Set(killed.audit ?? []);
    return { auditRowsMissing: (clean.audit ?? []).filter((row) => !have.has(row)).length };
  },
};

describe('Conditional Access exclusions timer killed and re-run', () => {
  it(
    `expires every due exclusion from ${KILLS} kill points, sending no membership DELETE twice`,
    async () => {
      const figures = await killAndRerun(scenario, harness.current, {});
      expect(figures.duplicateWrites).toBe(0);
      expect(figures.lost).toBe(0);
      expect(figures.runsKilled).toBe(KILLS);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
