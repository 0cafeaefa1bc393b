import { describe, expect, it } from 'vitest';

import { PHONE_METHOD_IDS, type UserLookup } from '../../shared/phones/plan';
import type { StoredRow } from '../../shared/phones/ports';
import { chunkCounts, failedOutcomes, rowsToWork, settledRows } from '../../shared/phones/processChunk';
import { changes, type ChunkFacts, outcomesOf, planChunk, type PlannedRow, skipPrivileged } from '../../shared/phones/runRows';

/** The pure steps of a chunk's work, each on its own: planning, the privileged-user guard, outcomes and settling. */
const row = (line: number, over: Partial<StoredRow> = {}): StoredRow => ({
  line,
  user: `u${line}@contoso.com`,
  maskedPhone: '+* ******0100',
  phoneNumber: `+1 42555501${String(line).padStart(2, '0')}`,
  phoneType: 'mobile',
  state: 'pending',
  ...over,
});
const found = (line: number, over: Partial<Extract<UserLookup, { kind: 'found' }>['user']> = {}): UserLookup => ({
  kind: 'found',
  user: {
    id: `id-${line}`,
    userPrincipalName: `U${line}@contoso.com`,
    userType: 'Member',
    accountEnabled: true,
    licensedForSmsSignIn: true,
    ...over,
  },
});
const opts = { overwrite: false, enableSmsWithoutLicence: false, dryRun: false };
const facts = (rows: readonly StoredRow[], over: Partial<ChunkFacts> = {}): ChunkFacts => ({
  users: new Map(rows.map((r) => [r.user, found(r.line)])),
  methods: new Map(rows.map((r) => [`id-${r.line}`, { ok: true as const, methods: [] }])),
  eligibility: new Map(),
  ...over,
});

describe('planChunk', () => {
  it('plans each row from the facts, keyed to the user it found', () => {
    const rows = [row(2), row(3)];
    const { plans, transient } = planChunk(rows, facts(rows), opts);
    expect(plans.map((p) => [p.row.line, p.userId, p.plan.outcome.status])).toEqual([
      [2, 'id-2', 'created'],
      [3, 'id-3', 'created'],
    ]);
    expect(transient.size).toBe(0);
  });

  it('fails a row Graph gave no answer for, and reports throttled reads as transient', () => {
    const rows = [row(2), row(3), row(4)];
    const users = new Map<string, UserLookup>([
      [rows[1]!.user, { kind: 'error', message: 'throttled', transient: true }],
      [rows[2]!.user, found(4)],
    ]);
    const methods = new Map([['id-4', { ok: false as const, message: 'service unavailable', transient: true }]]);
    const { plans, transient } = planChunk(rows, facts(rows, { users, methods }), opts);
    expect(plans[0]?.plan.outcome).toMatchObject({ status: 'failed', reason: 'could not read the user: no answer from Graph' });
    expect([...transient]).toEqual([3, 4]);
  });

  it('reconciles a row left `applying` by a worker that died with what Graph shows now', () => {
    const applying = row(2, { state: 'applying', planned: 'created' });
    const now = new Map([
      [
        'id-2',
        {
          ok: true as const,
          methods: [{ id: PHONE_METHOD_IDS.mobile, phoneNumber: applying.phoneNumber ?? '', phoneType: 'mobile' as const }],
        },
      ],
    ]);
    const { plans } = planChunk([applying], facts([applying], { methods: now }), opts);
    expect(plans[0]?.plan.outcome).toMatchObject({
      status: 'created',
      reason: expect.stringMatching(/before a retry/) as unknown,
    });
  });
});

describe('skipPrivileged', () => {
  const rows = [row(2), row(3)];
  const planned = planChunk(rows, facts(rows), opts).plans;
  const admin = new Map([['id-2', [{ kind: 'directoryRole' as const, roleName: 'Global Administrator' }]]]);

  it('skips a privileged user with the reason and how to allow them', () => {
    const plans = skipPrivileged(planned, facts(rows).users, admin, { privilegedAllowList: [] });
    expect(plans[0]?.plan).toEqual({
      outcome: {
        status: 'skipped',
        action: 'none',
        reason: 'privilegedUser: holds Global Administrator; add the user to PHONE_PRIVILEGED_ALLOWLIST to change their methods',
      },
      enableSms: false,
    });
    expect(plans.filter(changes).map((p) => p.row.line)).toEqual([3]);
  });

  it('lets an allow-listed user through by object id or by UPN in any case', () => {
    for (const allowed of ['id-2', 'u2@contoso.com']) {
      const plans = skipPrivileged(planned, facts(rows).users, admin, { privilegedAllowList: [allowed] });
      expect(plans.filter(changes).map((p) => p.row.line)).toEqual([2, 3]);
    }
  });

  it('leaves rows that change nothing alone even for a privileged user', () => {
    const unchanged: PlannedRow[] = [
      { ...planned[0]!, plan: { outcome: { status: 'unchanged', action: 'none', reason: '' }, enableSms: false } },
    ];
    expect(skipPrivileged(unchanged, facts(rows).users, admin, { privilegedAllowList: [] })).toEqual(unchanged);
  });
});

describe('outcomesOf', () => {
  const rows = [row(2), row(3)];
  const plans = planChunk(rows, facts(rows), opts).plans;

  it("keeps the plan's outcome for rows whose writes went through", () => {
    expect([...outcomesOf(plans, new Map()).values()].map((o) => o.status)).toEqual(['created', 'created']);
  });

  it('fails a row with its first failed write ahead of the plan, keeping the planned action', () => {
    const out = outcomesOf(plans, new Map([[3, { reason: 'adding the mobile number failed: 400: bad', transient: false }]]));
    expect(out.get(3)).toEqual({ status: 'failed', action: 'add mobile', reason: 'adding the mobile number failed: 400: bad' });
    expect(out.get(2)?.status).toBe('created');
  });
});

describe('chunk settling', () => {
  it('works only rows not done that carry a number', () => {
    const stored = [
      row(2),
      row(3, { state: 'done', status: 'failed' }),
      row(4, { phoneNumber: '' }),
      row(5, { state: 'applying' }),
    ];
    expect(rowsToWork(stored).map((r) => r.line)).toEqual([2, 5]);
  });

  it('settles rows as done without their full number, and keeps transient rows pending for a deferred retry', () => {
    const todo = [row(2), row(3)];
    const ran = {
      outcomes: new Map([
        [2, { status: 'created' as const, action: 'add mobile', reason: '' }],
        [3, { status: 'failed' as const, action: 'add mobile', reason: 'throttled' }],
      ]),
      transient: new Set([3]),
    };
    expect(settledRows(todo, ran, true)).toEqual([
      { line: 2, state: 'done', status: 'created', action: 'add mobile', reason: '', phoneNumber: '' },
    ]);
    const last = settledRows(todo, ran, false);
    expect(last[1]?.reason).toMatch(/^throttled; Graph kept refusing after every retry: drop the file again/);
  });

  it('fails a row the run did not answer for', () => {
    const settled = settledRows([row(2)], { outcomes: new Map(), transient: new Set() }, false);
    expect(settled[0]).toMatchObject({ status: 'failed', reason: 'the row was not processed' });
  });

  it("counts this run's outcomes and what earlier runs stored", () => {
    const stored = [row(2), row(3, { state: 'done', status: 'unchanged' }), row(4, { state: 'done' })];
    const counts = chunkCounts(stored, new Map([[2, { status: 'created' as const, action: '', reason: '' }]]));
    expect(counts).toMatchObject({ created: 1, unchanged: 1, failed: 1 });
  });

  it('fails every row of a chunk that could not be worked, warning where a write may have gone through', () => {
    const out = failedOutcomes([row(2), row(3, { state: 'applying' })], 'storage down');
    expect(out.get(2)?.reason).toBe('the chunk failed: storage down');
    expect(out.get(3)?.reason).toMatch(/before its outcome was known \(storage down\); check the user's phone methods/);
  });
});
