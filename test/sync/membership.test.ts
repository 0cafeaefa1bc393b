import { describe, expect, it } from 'vitest';

import { deltaBase, loadMembership, mergeResult, planReads } from '../../shared/sync/membership';
import type { GroupSnapshot, MemberProperty } from '../../shared/sync/ports';
import { gid, MemorySnapshots } from './fakes';

/** The read steps on their own: which groups read by delta, how a round merges into a snapshot. */

const NOW = new Date('2026-11-25T10:00:00.000Z');
const DAY = 24 * 3600_000;
const wanted = (props: MemberProperty[] = [], includeGroup = true) =>
  new Map([[gid(1), { props: new Set(props), includeGroup }]]);

function snapshot(over: Partial<GroupSnapshot> = {}): GroupSnapshot {
  return {
    groupId: gid(1),
    deltaLink: 'delta-1',
    fullReadAt: new Date(NOW.getTime() - 3600_000).toISOString(),
    properties: ['accountEnabled'],
    members: [{ id: gid(10), type: 'user', accountEnabled: true }],
    ...over,
  };
}

async function plan(stored: GroupSnapshot | undefined, props: MemberProperty[]) {
  const snapshots = new MemorySnapshots();
  if (stored) await snapshots.saveSnapshot('job', stored);
  return planReads({ snapshots, fullRefreshMs: DAY }, 'job', [gid(1)], wanted(props), NOW);
}

describe('membership read steps', () => {
  it('reads by delta from a fresh snapshot that holds the properties the job needs', async () => {
    const { requests, bases } = await plan(snapshot(), ['accountEnabled']);
    expect(requests).toEqual([{ groupId: gid(1), properties: ['accountEnabled'], includeGroup: true, deltaLink: 'delta-1' }]);
    expect(bases.get(gid(1))?.snapshot.deltaLink).toBe('delta-1');
  });

  it('lets a delta read without properties skip the adds its snapshot already holds; one with properties gets them all', async () => {
    const { requests } = await plan(snapshot({ properties: [] }), []);
    expect(requests[0]?.alreadyHeld?.(gid(10))).toBe(true);
    expect(requests[0]?.alreadyHeld?.(gid(11))).toBe(false);
    expect((await plan(snapshot(), ['accountEnabled'])).requests[0]?.alreadyHeld).toBeUndefined();
  });

  it('reads in full without a snapshot, past the full refresh, or when the job needs a property the snapshot lacks', async () => {
    const stale = snapshot({ fullReadAt: new Date(NOW.getTime() - DAY - 1).toISOString() });
    for (const [stored, props] of [
      [undefined, []],
      [stale, ['accountEnabled']],
      [snapshot(), ['accountEnabled', 'userType']],
      [snapshot({ deltaLink: undefined }), []],
    ] as const) {
      const { requests, bases } = await plan(stored, [...props]);
      expect(requests[0]?.deltaLink).toBeUndefined();
      expect(bases.size).toBe(0);
    }
  });

  it('merges a delta round into the snapshot and asks for the properties of added members only', () => {
    const merged = mergeResult(
      {
        groupId: gid(1),
        status: 'delta',
        added: [
          { id: gid(11), type: 'user' },
          { id: gid(12), type: 'group' },
        ],
        removed: [gid(10)],
        deltaLink: 'delta-2',
      },
      ['accountEnabled'],
      deltaBase(snapshot()),
      NOW,
    );
    if (merged.kind !== 'read') throw new Error('expected a read');
    expect([...merged.members.keys()]).toEqual([gid(11), gid(12)]);
    expect(merged.describe).toEqual([gid(11)]);
    expect(merged.snapshot).toMatchObject({ deltaLink: 'delta-2', fullReadAt: snapshot().fullReadAt });
  });

  it('starts a full read snapshot now, and reports a group Graph does not find as missing', () => {
    const full = mergeResult(
      { groupId: gid(1), status: 'full', members: [{ id: gid(10), type: 'user' }], deltaLink: 'd' },
      [],
      undefined,
      NOW,
    );
    expect(full).toMatchObject({ kind: 'read', read: 'full', describe: [], snapshot: { fullReadAt: NOW.toISOString() } });
    expect(mergeResult({ groupId: gid(1), status: 'notFound' }, [], undefined, NOW)).toEqual({ kind: 'missing' });
  });

  it('re-reads in full a group whose delta link expired, and saves each snapshot behind the fence', async () => {
    const snapshots = new MemorySnapshots();
    await snapshots.saveSnapshot('job', snapshot({ groupId: gid(2) }));
    const reads: boolean[] = [];
    let fences = 0;
    const loaded = await loadMembership(
      {
        reader: {
          read: async (requests) =>
            requests.map((r) => {
              reads.push(r.deltaLink !== undefined);
              return r.deltaLink
                ? { groupId: r.groupId, status: 'deltaExpired' as const }
                : { groupId: r.groupId, status: 'full' as const, members: [], deltaLink: 'fresh' };
            }),
          describe: async () => [],
        },
        snapshots,
        now: () => NOW,
        fullRefreshMs: DAY,
        fence: async () => void fences++,
      },
      {
        jobId: 'job',
        target: gid(2),
        sources: [],
        exclude: [],
        memberTypes: ['user'],
        userType: 'any',
        includeDisabled: true,
      } as unknown as Parameters<typeof loadMembership>[1],
    );
    expect(reads).toEqual([true, false]);
    expect(loaded.reads.get(gid(2))).toBe('full');
    expect(fences).toBe(1);
    expect((await snapshots.loadSnapshot('job', gid(2)))?.deltaLink).toBe('fresh');
  });
});
