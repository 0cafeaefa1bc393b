/**
 * One contract, two implementations of the directory ports group sync is written against (GroupDirectory,
 * MembershipReader, MembershipWriter): the real groups adapter talking to the Graph sandbox over HTTP, and the
 * in-memory FakeDirectory the use-case tests (runJob, jobs, runDueJobs) run on. Every behaviour those tests rely on is
 * checked here against both, so the fake cannot drift from what the adapter does against Graph.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, startGraphSandbox, type TenantFile } from '../../local/sandbox/index';
import { createGraphGateway } from '../../shared/graph/gateway';
import { createGroupsAdapter } from '../../shared/graph/groups';
import type { GroupDirectory, MembershipReader, MembershipWriter } from '../../shared/sync/ports';
import { FakeDirectory, gid } from './fakes';

type Directory = GroupDirectory & MembershipReader & MembershipWriter;

interface SeedUser {
  readonly n: number;
  readonly userType?: 'Member' | 'Guest';
  readonly accountEnabled?: boolean;
}
interface SeedGroup {
  readonly n: number;
  readonly name: string;
  readonly members: readonly number[];
  readonly rule?: string;
}
interface Seed {
  readonly users: readonly SeedUser[];
  readonly groups: readonly SeedGroup[];
}

function tenantFile(seed: Seed): TenantFile {
  return {
    tenant: { id: '30000000-0000-4000-8000-000000000000', displayName: 'Directory contract', defaultDomain: 'contract.example' },
    users: seed.users.map((u) => ({
      id: gid(u.n),
      userPrincipalName: `user${u.n}@contract.example`,
      displayName: `User ${u.n}`,
      userType: u.userType ?? 'Member',
      accountEnabled: u.accountEnabled ?? true,
    })),
    groups: seed.groups.map((g) => ({
      id: gid(g.n),
      displayName: g.name,
      groupTypes: g.rule ? ['DynamicMembership'] : [],
      mailEnabled: false,
      securityEnabled: true,
      ...(g.rule ? { membershipRule: g.rule, membershipRuleProcessingState: 'On' } : {}),
      members: g.members.map(gid),
    })),
  };
}

function fakeDirectory(seed: Seed): Directory {
  const dir = new FakeDirectory();
  for (const u of seed.users) {
    dir.user(u.n, { userType: u.userType ?? 'Member', accountEnabled: u.accountEnabled ?? true });
  }
  for (const g of seed.groups) {
    dir.group(
      g.n,
      g.members.map(gid),
      g.rule ? { displayName: g.name, groupTypes: ['DynamicMembership'], membershipRule: g.rule } : { displayName: g.name },
    );
  }
  return dir;
}

let sandbox: GraphSandbox;
beforeAll(async () => {
  // Throttling budgets off: these cases are about shapes and semantics; throttling has its own tests.
  sandbox = await startGraphSandbox({
    tenant: tenantFile({ users: [], groups: [] }),
    knobs: { throttling: { enabled: false, tenantSize: 'auto' } },
  });
});
afterAll(async () => {
  await sandbox.close();
});

async function sandboxDirectory(seed: Seed): Promise<Directory> {
  const res = await fetch(`${sandbox.url}/_sandbox/tenant`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(tenantFile(seed)),
  });
  if (!res.ok) throw new Error(`loading the contract tenant failed: ${res.status} ${await res.text()}`);
  const graph = createGraphGateway({
    baseUrl: sandbox.url,
    tokenProvider: { getToken: async () => 'directory-contract' },
    maxConcurrency: 4,
    maxRetries: 2,
    maxBackoffMs: 1_000,
    sleep: async () => {},
  });
  return createGroupsAdapter(graph, { baseUrl: sandbox.url, consistencyDelaysMs: [1], sleep: async () => {} });
}

const implementations: [string, (seed: Seed) => Promise<Directory>][] = [
  ['groups adapter on the Graph sandbox', sandboxDirectory],
  ['FakeDirectory', async (seed) => fakeDirectory(seed)],
];

const RULE = `user.memberof -any (group.objectId -in ['${gid(10)}'])`;
const seed: Seed = {
  users: [{ n: 1 }, { n: 2, userType: 'Guest' }, { n: 3, accountEnabled: false }, { n: 4 }, { n: 5 }],
  groups: [
    { n: 10, name: 'Source', members: [1, 2, 3] },
    { n: 11, name: 'Target', members: [4] },
    { n: 12, name: 'Twin', members: [1] },
    { n: 13, name: 'Twin', members: [1, 2] },
    { n: 14, name: 'Dynamic', members: [1, 2, 3], rule: RULE },
  ],
};
const byId = <T extends { id: string }>(items: readonly T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));

describe.each(implementations)('%s', (_name, open) => {
  it('gets a group by id with the flags target checks read, and nothing for an unknown id', async () => {
    const dir = await open(seed);
    expect(await dir.getGroup(gid(11))).toMatchObject({
      id: gid(11),
      displayName: 'Target',
      groupTypes: [],
      mailEnabled: false,
      securityEnabled: true,
    });
    expect(await dir.getGroup(gid(99))).toBeUndefined();
  });

  it('finds groups by exact display name, with member counts when several share it', async () => {
    const dir = await open(seed);
    expect((await dir.findByDisplayName('Target')).map((c) => c.id)).toEqual([gid(11)]);
    expect(await dir.findByDisplayName('Targ')).toEqual([]);
    const twins = byId(await dir.findByDisplayName('Twin'));
    expect(twins.map((c) => [c.id, c.memberCount])).toEqual([
      [gid(12), 1],
      [gid(13), 2],
    ]);
  });

  it('lists only dynamic groups, with their rules', async () => {
    const dir = await open(seed);
    const dynamic = await dir.listDynamicGroups();
    expect(dynamic.map((g) => [g.id, g.membershipRule])).toEqual([[gid(14), RULE]]);
  });

  it('reads every member in full with only the properties asked for, and reports unknown groups', async () => {
    const dir = await open(seed);
    const [source, missing] = await dir.read([
      { groupId: gid(10), properties: ['userType', 'accountEnabled'], includeGroup: true },
      { groupId: gid(98), properties: [] },
    ]);
    expect(source?.status).toBe('full');
    if (source?.status !== 'full') return;
    expect(source.group?.id).toBe(gid(10));
    expect(source.deltaLink).toEqual(expect.any(String));
    expect(byId(source.members)).toEqual([
      { id: gid(1), type: 'user', userType: 'Member', accountEnabled: true },
      { id: gid(2), type: 'user', userType: 'Guest', accountEnabled: true },
      { id: gid(3), type: 'user', userType: 'Member', accountEnabled: false },
    ]);
    expect(missing).toEqual({ groupId: gid(98), status: 'notFound' });
    const [bare] = await dir.read([{ groupId: gid(10), properties: [] }]);
    expect(bare?.status === 'full' && byId(bare.members)).toEqual([
      { id: gid(1), type: 'user' },
      { id: gid(2), type: 'user' },
      { id: gid(3), type: 'user' },
    ]);
  });

  it('adds members, treating an existing member as a successful no-op and an unknown object as a failure', async () => {
    const dir = await open(seed);
    const outcomes = await dir.add(gid(11), [gid(1), gid(4), gid(97)]);
    expect(byId(outcomes)).toEqual([
      { id: gid(1), ok: true, noop: false },
      { id: gid(4), ok: true, noop: true },
      { id: gid(97), ok: false, code: 'Request_ResourceNotFound', message: expect.any(String) as string },
    ]);
    const [target] = await dir.read([{ groupId: gid(11), properties: [] }]);
    expect(target?.status === 'full' && target.members.map((m) => m.id).sort()).toEqual([gid(1), gid(4)]);
  });

  it('removes members, treating a non-member as a successful no-op, and never deletes the object', async () => {
    const dir = await open(seed);
    expect(byId(await dir.remove(gid(10), [gid(1), gid(5)]))).toEqual([
      { id: gid(1), ok: true, noop: false },
      { id: gid(5), ok: true, noop: true },
    ]);
    const [source] = await dir.read([{ groupId: gid(10), properties: [] }]);
    expect(source?.status === 'full' && source.members.map((m) => m.id).sort()).toEqual([gid(2), gid(3)]);
    expect(await dir.describe([gid(1)], [])).toEqual([{ id: gid(1), type: 'user' }]);
  });

  it('reports exactly the membership changes since a delta link, without properties, and nothing when unchanged', async () => {
    const dir = await open(seed);
    const [first] = await dir.read([{ groupId: gid(10), properties: ['userType'] }]);
    if (first?.status !== 'full' || !first.deltaLink) throw new Error('a full read must give a delta link');
    await dir.add(gid(10), [gid(4), gid(5)]);
    await dir.remove(gid(10), [gid(2)]);
    const [round] = await dir.read([{ groupId: gid(10), properties: ['userType'], deltaLink: first.deltaLink }]);
    expect(round?.status).toBe('delta');
    if (round?.status !== 'delta') return;
    expect(byId(round.added)).toEqual([
      { id: gid(4), type: 'user' },
      { id: gid(5), type: 'user' },
    ]);
    expect(round.removed).toEqual([gid(2)]);
    const [quiet] = await dir.read([{ groupId: gid(10), properties: [], deltaLink: round.deltaLink }]);
    expect(quiet).toMatchObject({ status: 'delta', added: [], removed: [] });
  });

  it('leaves out of a delta round the adds the caller already holds (its own writes replayed), never the removes', async () => {
    const dir = await open(seed);
    const [first] = await dir.read([{ groupId: gid(10), properties: [] }]);
    if (first?.status !== 'full' || !first.deltaLink) throw new Error('a full read must give a delta link');
    await dir.add(gid(10), [gid(4), gid(5)]);
    await dir.remove(gid(10), [gid(2)]);
    const held = new Set([gid(4), gid(2)]);
    const [round] = await dir.read([
      { groupId: gid(10), properties: [], deltaLink: first.deltaLink, alreadyHeld: (id) => held.has(id) },
    ]);
    expect(round).toMatchObject({ status: 'delta', added: [{ id: gid(5), type: 'user' }], removed: [gid(2)] });
  });

  it('describes known objects with the properties asked for and leaves unknown ids out', async () => {
    const dir = await open(seed);
    expect(byId(await dir.describe([gid(2), gid(3), gid(96)], ['userType', 'accountEnabled']))).toEqual([
      { id: gid(2), type: 'user', userType: 'Guest', accountEnabled: true },
      { id: gid(3), type: 'user', userType: 'Member', accountEnabled: false },
    ]);
  });
});
