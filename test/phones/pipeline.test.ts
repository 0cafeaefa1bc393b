import { beforeEach, describe, expect, it } from 'vitest';

import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import { importFile } from '../../shared/phones/importFile';
import type { PhoneSettings } from '../../shared/phones/ports';
import { processChunk, type ProcessChunkDeps } from '../../shared/phones/processChunk';
import { importProgress } from '../../shared/phones/status';
import { parseResults, usePhoneHarness } from './harness';

/**
 * The whole import through real Azurite (blobs, tables, queue) and the Graph sandbox over HTTP: every input format
 * and failure the issue lists, checked on the results file, the summary, the blobs and Graph reads.
 */
const h = usePhoneHarness();
const U = DEMO_USERS;

type Phones = { value: { id: string; phoneNumber: string; phoneType: string; smsSignInState: string }[] };
const phonesOf = (id: string) => h.current.graph<Phones>(`/users/${id}/authentication/phoneMethods`).then((r) => r.value);

async function importCsv(file: string, body: string | Uint8Array, settings: Partial<PhoneSettings> = {}) {
  await h.current.upload(`incoming/${file}`, body);
  const result = await h.current.run({ path: `incoming/${file}`, file }, settings);
  await h.current.drain(settings);
  const base = file.replace(/\.csv$/i, '');
  const results = await h.current.output(`results/${base}.results.csv`);
  const summary = await h.current.output(`results/${base}.summary.json`);
  return {
    result,
    rows: results ? parseResults(results) : [],
    resultsText: results ?? '',
    summary: summary ? (JSON.parse(summary) as Record<string, unknown> & { rows: Record<string, number> }) : undefined,
  };
}
const byLine = (rows: Record<string, string>[]) => new Map(rows.map((r) => [Number(r.line), r]));

beforeEach(async () => {
  await h.current.sandboxPost('/_sandbox/reset', {});
});

describe('phone import pipeline (Azurite + Graph sandbox)', () => {
  it("imports the seed's UserName,PhoneNumber file into the tenant and writes results and summary", async () => {
    const csv = `UserName,PhoneNumber\r\n${U.smsNoPhone.userPrincipalName},+1 425 555 0111\r\n${U.exchangeOnly.userPrincipalName},(425) 555-0112\r\n`;
    const { result, rows, summary } = await importCsv('seed.csv', csv);
    expect(result.outcome).toBe('started');
    expect(rows.map((r) => [r.line, r.status, r.phoneNumber])).toEqual([
      ['2', 'created', '+* ******0111'],
      ['3', 'created', '+* ******0112'],
    ]);
    expect(summary).toMatchObject({ status: 'completed', dryRun: false, rows: { total: 2, created: 2, failed: 0 } });
    expect((await phonesOf(U.smsNoPhone.id)).map((m) => [m.phoneType, m.phoneNumber])).toEqual([['mobile', '+1 4255550111']]);
    expect((await phonesOf(U.exchangeOnly.id))[0]?.phoneNumber).toBe('+1 4255550112');
    expect(await h.current.download('incoming/seed.csv')).toBeUndefined();
    // Full numbers stay in Table storage only while a row is pending.
    const table = await h.current.services.storage.table('phoneimportrows');
    for await (const e of table.listEntities<{ phoneNumber?: string; maskedPhone?: string }>())
      expect(e.phoneNumber ?? '').toBe('');
    expect(await h.current.output('processed/seed.csv')).toBe(csv);
  });

  it('keeps each import of one file name in its own results, summary and processed blobs', async () => {
    const first = await importCsv('same.csv', `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0171\n`);
    const second = await importCsv('same.csv', `UserName,PhoneNumber\n${U.exchangeOnly.userPrincipalName},+1 425 555 0172\n`);
    const ids = [first.result, second.result].map((r) => ('record' in r ? r.record.importId : ''));
    expect(new Set(ids).size).toBe(2);
    for (const [i, id] of ids.entries()) {
      const rows = parseResults((await h.current.download(`results/${id}/same.results.csv`)) ?? '');
      expect(rows.map((r) => r.user)).toEqual([[U.smsNoPhone, U.exchangeOnly][i]?.userPrincipalName]);
      expect(await h.current.download(`results/${id}/same.summary.json`)).toContain(id);
      expect(await h.current.download(`processed/${id}/same.csv`)).toContain(i === 0 ? '0171' : '0172');
    }
  });

  it('never changes privileged users (role holders, role-assignable group members) unless allow-listed', async () => {
    const csv = [
      'UserName,PhoneNumber,EnableSmsSignIn',
      `${U.globalAdmin.userPrincipalName},+1 425 555 0161,`, // 2 Global Administrator
      `${U.breakGlass1.userPrincipalName},+1 425 555 0162,`, // 3 Global Administrator (break glass)
      `${U.authenticationAdmin.userPrincipalName},+1 425 555 0163,`, // 4 role holder and role-assignable group member
      `${U.smsNoPhone.userPrincipalName},+1 425 555 0164,`, // 5 not privileged
      `${U.exchangeOnly.userPrincipalName},+1 425 555 0165,`, // 6 not privileged
    ].join('\n');
    const dry = byLine((await importCsv('privileged.dryrun.csv', csv)).rows);
    expect(dry.get(2)).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^privilegedUser: holds Global Administrator/) as string,
    });
    const { rows } = await importCsv('privileged.csv', csv, { privilegedAllowList: [U.breakGlass1.id] });
    const r = byLine(rows);
    expect([...r.values()].map((x) => [x.line, x.status])).toEqual([
      ['2', 'skipped'],
      ['3', 'created'],
      ['4', 'skipped'],
      ['5', 'created'],
      ['6', 'created'],
    ]);
    expect(r.get(4)?.reason).toMatch(
      /holds Authentication Administrator; member of role-assignable group Role - Helpdesk Administrators/,
    );
    expect(r.get(4)?.reason).toContain('PHONE_PRIVILEGED_ALLOWLIST');
    expect((await phonesOf(U.globalAdmin.id)).map((m) => m.phoneNumber)).not.toContain('+1 4255550161');
    expect((await phonesOf(U.authenticationAdmin.id)).map((m) => m.phoneNumber)).not.toContain('+1 4255550163');
    expect((await phonesOf(U.breakGlass1.id)).map((m) => m.phoneNumber)).toContain('+1 4255550162');
  });

  it('gives every bad row its own result and applies the good ones', async () => {
    const csv = [
      'upn;Mobile;PhoneType',
      `${U.smsNoPhone.userPrincipalName};0044 20 7946 0958;`, // 2 created, 00 prefix
      `nobody@contosodemo.onmicrosoft.com;+1 425 555 0120;`, // 3 unknown user
      `${U.riskyGuest.userPrincipalName};+1 425 555 0121 x12;`, // 4 guest UPN with #EXT#, extension kept
      `${U.disabledLeaver.userPrincipalName};+1 425 555 0122;`, // 5 disabled
      `${U.salesManager.userPrincipalName};call me maybe;`, // 6 letters
      `${U.authenticationAdmin.userPrincipalName}`, // 7 one column
      `${U.smsReady.userPrincipalName};+1 425 555 0100;`, // 8 unchanged
      `${U.duplicatePhoneA.userPrincipalName};+1 425 555 0177;`, // 9 conflict (has 0199)
      `${U.userAdmin.userPrincipalName};+1 425 555 0130;`, // 10 duplicate user (with 11)
      `${U.userAdmin.userPrincipalName};+1 425 555 0131;`, // 11
      `${U.securityAdmin.userPrincipalName};+1 425 555 0140;`, // 12 same number as 13
      `${U.globalAdmin.userPrincipalName};+1 (425) 555-0140;`, // 13
      `${U.conditionalAccessAdmin.userPrincipalName};+1 425 555 0150;pager`, // 14 bad type
      '',
    ].join('\n');
    const { rows, summary } = await importCsv('mixed.csv', csv);
    const r = byLine(rows);
    expect(rows).toHaveLength(13);
    expect(r.get(2)).toMatchObject({ status: 'created', phoneNumber: '+** ******0958' });
    expect(r.get(3)).toMatchObject({ status: 'failed', reason: 'user not found in the directory' });
    expect(r.get(4)).toMatchObject({ status: 'created' });
    expect(r.get(5)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/disabled/) as unknown });
    expect(r.get(6)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/letters/) as unknown });
    expect(r.get(7)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/1 column/) as unknown });
    expect(r.get(8)).toMatchObject({ status: 'unchanged' });
    expect(r.get(9)).toMatchObject({ status: 'conflict', reason: expect.stringMatching(/PHONE_OVERWRITE/) as unknown });
    expect(r.get(10)?.reason).toBe('duplicate: the same user is also on line 11');
    expect(r.get(11)?.reason).toBe('duplicate: the same user is also on line 10');
    expect(r.get(12)?.reason).toBe('duplicate: the same number is given to another user on line 13');
    expect(r.get(13)?.reason).toBe('duplicate: the same number is given to another user on line 12');
    expect(r.get(14)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/PhoneType/) as unknown });
    expect(summary?.rows).toMatchObject({ total: 13, created: 2, unchanged: 1, conflict: 1, skipped: 1, failed: 8 });

    expect((await phonesOf(U.smsNoPhone.id))[0]?.phoneNumber).toBe('+44 2079460958');
    expect((await phonesOf(U.riskyGuest.id))[0]?.phoneNumber).toBe('+1 4255550121x12');
    expect((await phonesOf(U.duplicatePhoneA.id))[0]?.phoneNumber).toBe('+1 4255550199');
    for (const id of [U.userAdmin.id, U.securityAdmin.id, U.globalAdmin.id]) {
      expect((await phonesOf(id)).map((m) => m.phoneNumber)).not.toContain('+1 4255550140');
      expect((await phonesOf(id)).map((m) => m.phoneNumber)).not.toContain('+1 4255550130');
    }
  });

  it('replaces a different number when overwrite is on', async () => {
    const { rows } = await importCsv(
      'overwrite.csv',
      `UserName,PhoneNumber\n${U.duplicatePhoneA.userPrincipalName},+1 425 555 0178\n`,
      { overwrite: true },
    );
    expect(rows[0]).toMatchObject({
      status: 'updated',
      action: expect.stringMatching(/^replace mobile \+\* \*{6}0199$/) as unknown,
    });
    expect((await phonesOf(U.duplicatePhoneA.id))[0]?.phoneNumber).toBe('+1 4255550178');
  });

  it('enables SMS sign-in with the licence and policy pre-checks', async () => {
    const csv = [
      'UserName,PhoneNumber,EnableSmsSignIn',
      `${U.smsNoPhone.userPrincipalName},+1 425 555 0161,true`, // licensed, in SMS group
      `${U.exchangeOnly.userPrincipalName},+1 425 555 0162,true`, // no qualifying licence
      `${U.salesManager.userPrincipalName},+1 425 555 0163,true`, // licensed, not in the SMS group
      `${U.duplicatePhoneB.userPrincipalName},+1 425 555 0199,true`, // number already used for SMS sign-in by duplicatePhoneA
      `${U.smsReady.userPrincipalName},+1 425 555 0100,true`, // already ready
      `${U.riskyGuest.userPrincipalName},+1 425 555 0165,true`, // guest: number only
    ].join('\r\n');
    const { rows, summary } = await importCsv('sms.csv', csv);
    const r = byLine(rows);
    expect(r.get(2)).toMatchObject({ status: 'smsEnabled', action: 'add mobile; enable SMS sign-in' });
    expect(r.get(3)).toMatchObject({ status: 'created', reason: 'warning: no licence for SMS sign-in' });
    expect(r.get(4)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^notAllowedByPolicy: /) as unknown });
    expect(r.get(5)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/phoneNumberNotUnique/) as unknown });
    expect(r.get(6)).toMatchObject({ status: 'unchanged', reason: 'SMS sign-in is already enabled' });
    expect(r.get(7)).toMatchObject({
      status: 'created',
      reason: expect.stringMatching(/not available for guest users/) as unknown,
    });
    expect(summary?.rows).toMatchObject({ smsEnabled: 1, created: 2, skipped: 1, failed: 1, unchanged: 1 });
    expect((await phonesOf(U.smsNoPhone.id))[0]?.smsSignInState).toBe('ready');
    expect((await phonesOf(U.exchangeOnly.id))[0]?.smsSignInState).not.toBe('ready');
    expect(await phonesOf(U.salesManager.id)).toEqual([]);
  });

  it('enables SMS sign-in for a user the SMS policy targets directly (targetType user)', async () => {
    const res = await fetch(
      `${h.current.sandbox.url}/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/sms`,
      {
        method: 'PATCH',
        headers: { authorization: 'Bearer phones-tests', 'content-type': 'application/json' },
        body: JSON.stringify({
          '@odata.type': '#microsoft.graph.smsAuthenticationMethodConfiguration',
          includeTargets: [{ targetType: 'user', id: U.salesManager.id, isRegistrationRequired: false, isUsableForSignIn: true }],
        }),
      },
    );
    expect(res.status).toBe(204);
    const { rows } = await importCsv(
      'smsuser.csv',
      `UserName,PhoneNumber,EnableSmsSignIn
${U.salesManager.userPrincipalName},+1 425 555 0166,true
`,
    );
    expect(rows[0]).toMatchObject({ status: 'smsEnabled', action: 'add mobile; enable SMS sign-in' });
    expect((await phonesOf(U.salesManager.id))[0]?.smsSignInState).toBe('ready');
  });

  it('adds users to the SMS_SIGNIN_GROUP_ID group so the policy reaches them', async () => {
    const { rows } = await importCsv(
      'smsgroup.csv',
      `UserName,PhoneNumber\n${U.salesManager.userPrincipalName},+1 425 555 0164\n`,
      {
        enableSmsSignInByDefault: true,
        smsSignInGroupId: DEMO_GROUPS.smsSignIn.id,
      },
    );
    expect(rows[0]).toMatchObject({
      status: 'smsEnabled',
      action: 'add mobile; add to the SMS sign-in group; enable SMS sign-in',
    });
    const members = await h.current.graph<{ value: { id: string }[] }>(
      `/groups/${DEMO_GROUPS.smsSignIn.id}/members?$select=id&$top=999`,
    );
    expect(members.value.map((m) => m.id)).toContain(U.salesManager.id);
    expect((await phonesOf(U.salesManager.id))[0]?.smsSignInState).toBe('ready');
  });

  it('plans a *.dryrun.csv without changing the tenant', async () => {
    const before = await h.current.stats();
    const { rows, summary } = await importCsv(
      'plan.dryrun.csv',
      `UserName,PhoneNumber,EnableSmsSignIn\n${U.smsNoPhone.userPrincipalName},+1 425 555 0171,true\n`,
    );
    expect(rows[0]).toMatchObject({ status: 'smsEnabled', action: 'would add mobile; would enable SMS sign-in' });
    expect(summary).toMatchObject({ dryRun: true, status: 'completed' });
    expect(await phonesOf(U.smsNoPhone.id)).toEqual([]);
    const after = await h.current.stats();
    expect(after.byRouteInBatch['POST /users/{id}/authentication/phoneMethods'] ?? 0).toBe(
      before.byRouteInBatch['POST /users/{id}/authentication/phoneMethods'] ?? 0,
    );
  });

  it('applies nothing twice when the same file is dropped again', async () => {
    const csv = `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0181\n`;
    const first = await importCsv('again.csv', csv);
    expect(first.rows[0]?.status).toBe('created');
    const writes = (await h.current.stats()).byRouteInBatch['POST /users/{id}/authentication/phoneMethods'];
    const second = await importCsv('again.csv', csv);
    expect(second.result).toMatchObject({ outcome: 'duplicate' });
    expect((await h.current.stats()).byRouteInBatch['POST /users/{id}/authentication/phoneMethods']).toBe(writes);
    expect(await h.current.download('incoming/again.csv')).toBeUndefined();
  });

  it('finishes a chunk whose worker died after Graph applied it, reporting what was done', async () => {
    const csv = `UserName,PhoneNumber,EnableSmsSignIn\n${U.smsNoPhone.userPrincipalName},+1 425 555 0191,true\n${U.exchangeOnly.userPrincipalName},+1 425 555 0192,false\n`;
    await h.current.upload('incoming/crash.csv', csv);
    await h.current.run({ path: 'incoming/crash.csv', file: 'crash.csv' });
    // The first delivery dies after the SMS writes reached Graph, before the outcomes are stored.
    const crashing = (d: ProcessChunkDeps): ProcessChunkDeps => ({
      ...d,
      methods: {
        ...d.methods,
        listPhoneMethods: (ids) => d.methods.listPhoneMethods(ids),
        writePhoneMethods: (w) => d.methods.writePhoneMethods(w),
        readSmsPolicy: () => d.methods.readSmsPolicy(),
        enableSmsSignIn: async (ids) => {
          await d.methods.enableSmsSignIn(ids);
          throw new Error('worker killed');
        },
      },
    });
    const [delivery] = await h.current.take();
    if (!delivery) throw new Error('no chunk message');
    const deps = { ...h.current.deps(), owner: delivery.owner, retryDelaySeconds: () => 0 };
    // A failure outside Graph's per-item answers defers the chunk (a new message), leaving its rows `applying`.
    expect(await processChunk(delivery.message, crashing(deps))).toBe('deferred');
    await delivery.remove();
    const writes = (await h.current.stats()).byRouteInBatch['POST /users/{id}/authentication/phoneMethods'];
    const [retry] = await h.current.take();
    if (!retry) throw new Error('no deferred message');
    expect(retry.message).toMatchObject({ attempt: 2 });
    expect(await processChunk(retry.message, { ...deps, owner: retry.owner })).toBe('processed');
    await retry.remove();
    const results = parseResults((await h.current.output('results/crash.results.csv')) ?? '');
    expect((await h.current.stats()).byRouteInBatch['POST /users/{id}/authentication/phoneMethods']).toBe(writes);
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ['smsEnabled', 'applied before a retry; confirmed by reading Graph again'],
      ['created', 'applied before a retry; confirmed by reading Graph again'],
    ]);
  });

  it('rides out a throttling storm inside $batch within the retry budget', async () => {
    await h.current.sandboxPost('/_sandbox/knobs', {
      faults: [
        {
          route: 'POST /users/{id}/authentication/phoneMethods',
          kind: '429',
          times: 8,
          retryAfterSeconds: 0,
          scope: 'batchItem',
        },
      ],
    });
    const csv = `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0231\n${U.exchangeOnly.userPrincipalName},+1 425 555 0232\n`;
    const { rows } = await importCsv('storm.csv', csv);
    expect(rows.map((r) => r.status)).toEqual(['created', 'created']);
    expect((await h.current.stats()).throttled).toBeGreaterThanOrEqual(8);
  });

  it('defers a chunk throttled beyond the retries to a later message, and records the reason on the last attempt', async () => {
    const storm = {
      faults: [
        {
          route: 'POST /users/{id}/authentication/phoneMethods',
          kind: '429',
          times: 10_000,
          retryAfterSeconds: 0,
          scope: 'batchItem',
        },
      ],
    };
    await h.current.sandboxPost('/_sandbox/knobs', storm);
    const csv = `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0241\n${U.deviceNotCompliant.userPrincipalName},+1 425 555 0242\n`;
    await h.current.upload('incoming/storm2.csv', csv);
    await h.current.run({ path: 'incoming/storm2.csv', file: 'storm2.csv' });
    const [delivery] = await h.current.take();
    if (!delivery) throw new Error('no chunk message');
    expect(await processChunk(delivery.message, { ...h.current.deps(), owner: delivery.owner, retryDelaySeconds: () => 0 })).toBe(
      'deferred',
    );
    await delivery.remove();
    expect(await h.current.output('results/storm2.results.csv')).toBeUndefined();
    // The storm passes; the deferred retry (a new message, attempt 2) applies the rows.
    await h.current.sandboxPost('/_sandbox/knobs', { faults: [] });
    const [retry] = await h.current.take();
    expect(retry?.message).toMatchObject({ chunk: 0, attempt: 2 });
    if (!retry) throw new Error('no deferred message');
    expect(await processChunk(retry.message, { ...h.current.deps(), owner: retry.owner })).toBe('processed');
    await retry.remove();
    expect(parseResults((await h.current.output('results/storm2.results.csv')) ?? '').map((r) => r.status)).toEqual([
      'created',
      'created',
    ]);

    await h.current.sandboxPost('/_sandbox/knobs', storm);
    await h.current.upload('incoming/storm3.csv', `UserName,PhoneNumber\n${U.riskyHigh.userPrincipalName},+1 425 555 0243\n`);
    await h.current.run({ path: 'incoming/storm3.csv', file: 'storm3.csv' });
    const [last] = await h.current.take();
    if (!last) throw new Error('no chunk message');
    expect(await processChunk({ ...last.message, attempt: 8 }, { ...h.current.deps(), owner: last.owner })).toBe('processed');
    await last.remove();
    const [row] = parseResults((await h.current.output('results/storm3.results.csv')) ?? '');
    expect(row).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/TooManyRequests.*drop the file again under a new name/) as unknown,
    });
  });

  it('queues unfinished chunks again when the trigger fires again for a running import (lost messages)', async () => {
    const csv = `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0251\n${U.exchangeOnly.userPrincipalName},+1 425 555 0252\n`;
    await h.current.upload('incoming/lost.csv', csv);
    const first = await h.current.run({ path: 'incoming/lost.csv', file: 'lost.csv' });
    expect(first.outcome).toBe('started');
    for (const m of await h.current.take()) await m.remove();
    const again = await h.current.run({ path: 'incoming/lost.csv', file: 'lost.csv' });
    expect(again.outcome).toBe('resumed');
    await h.current.drain();
    const rows = parseResults((await h.current.output('results/lost.results.csv')) ?? '');
    expect(rows.map((r) => r.status)).toEqual(['created', 'created']);
  });

  it('reports progress chunk by chunk while an import runs', async () => {
    const users = [U.smsNoPhone, U.exchangeOnly, U.deviceNotCompliant, U.riskyHigh, U.remediated, U.salesManager, U.onPremSynced];
    const csv = `UserName,PhoneNumber\n${users.map((u, i) => `${u.userPrincipalName},+1 425 555 027${i}`).join('\n')}\n`;
    await h.current.upload('incoming/progress.csv', csv);
    const started = await h.current.run({ path: 'incoming/progress.csv', file: 'progress.csv' });
    if (started.outcome !== 'started') throw new Error(started.outcome);
    const deps = h.current.deps();
    expect(await importProgress(started.record.importId, deps)).toMatchObject({
      status: 'running',
      rows: { total: 7, done: 0 },
      resultsBlob: null,
    });
    const [first, second] = await h.current.take();
    if (!first || !second) throw new Error('expected two chunks of 5 and 2 rows');
    await processChunk(first.message, { ...deps, owner: first.owner });
    const partial = await importProgress(started.record.importId, deps);
    expect(partial?.status).toBe('running');
    expect([5, 2]).toContain(partial?.rows.done);
    await processChunk(second.message, { ...deps, owner: second.owner });
    expect(await importProgress(started.record.importId, deps)).toMatchObject({
      status: 'completed',
      rows: { total: 7, done: 7, created: 7 },
      resultsBlob: expect.stringMatching(/^results\/imp[0-9a-f]{29}\/progress\.results\.csv$/) as string,
      summaryBlob: expect.stringMatching(/^results\/imp[0-9a-f]{29}\/progress\.summary\.json$/) as string,
    });
    await first.remove();
    await second.remove();
  });

  it('rejects a file with more rows than PHONE_MAX_ROWS', async () => {
    const csv = `UserName,PhoneNumber\n${[1, 2, 3].map((i) => `u${i}@contosodemo.onmicrosoft.com,+1 425 555 026${i}`).join('\n')}\n`;
    const { result, rows } = await importCsv('rows.csv', csv, { maxRows: 2 });
    expect(result).toMatchObject({ outcome: 'rejected', record: { problem: { code: 'TOO_MANY_ROWS', line: 4 } } });
    expect(rows[0]?.reason).toMatch(/PHONE_MAX_ROWS/);
  });

  it('rejects unreadable files with a results file that says what and where', async () => {
    const cases: [string, string | Uint8Array, string, RegExp][] = [
      ['empty.csv', '', 'CSV_EMPTY', /empty/],
      ['binary.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, 0x21, 0]), 'FILE_NOT_TEXT', /binary/],
      ['columns.csv', 'Name,Email\nA,a@b.com\n', 'CSV_MISSING_COLUMNS', /Line 1: .*phone column/],
      [
        'quote.csv',
        `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},"+1 425 555 0111\n`,
        'CSV_MALFORMED',
        /After line 1/,
      ],
      ['header.csv', 'UserName,PhoneNumber\n', 'CSV_NO_ROWS', /no rows/],
    ];
    for (const [file, body, code, message] of cases) {
      const { result, rows, summary } = await importCsv(file, body);
      expect(result).toMatchObject({ outcome: 'rejected', record: { status: 'failed', problem: { code } } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        status: 'failed',
        action: 'rejected file',
        reason: expect.stringMatching(message) as unknown,
      });
      expect(summary).toMatchObject({ status: 'failed', problem: { code } });
      expect(await h.current.output(`failed/${file}`)).toBeDefined();
      expect(await h.current.download(`incoming/${file}`)).toBeUndefined();
    }
    expect(await phonesOf(U.smsNoPhone.id)).toEqual([]);
  });

  it('rejects a file over PHONE_MAX_FILE_BYTES by its size alone, without reading it', async () => {
    const big = `UserName,PhoneNumber\n${`${U.smsNoPhone.userPrincipalName},+1 425 555 0111\n`.repeat(3000)}`;
    await h.current.upload('incoming/big.csv', big);
    const deps = h.current.deps({ maxFileBytes: 64 * 1024 });
    let reads = 0;
    const files = {
      ...deps.files,
      size: deps.files.size.bind(deps.files),
      write: deps.files.write.bind(deps.files),
      move: deps.files.move.bind(deps.files),
      read: (p: string) => (reads++, deps.files.read(p)),
    };
    const result = await importFile({ path: 'incoming/big.csv', file: 'big.csv' }, { ...deps, files });
    expect(reads).toBe(0);
    const rows = parseResults((await h.current.output('results/big.results.csv')) ?? '');
    expect(result).toMatchObject({
      outcome: 'rejected',
      record: { problem: { code: 'FILE_TOO_LARGE' }, contentHash: `size:${big.length}` },
    });
    expect(rows[0]?.reason).toMatch(/PHONE_MAX_FILE_BYTES/);
    expect(await h.current.output('failed/big.csv')).toBeDefined();
  });

  it('reads UTF-16 and tab-separated exports', async () => {
    const text = `\uFEFFUserPrincipalName\tMobilePhone\r\n${U.smsNoPhone.userPrincipalName}\t425.555.0193\r\n`;
    const { rows } = await importCsv('utf16.csv', Buffer.from(text, 'utf16le'));
    expect(rows[0]).toMatchObject({ status: 'created' });
    expect((await phonesOf(U.smsNoPhone.id))[0]?.phoneNumber).toBe('+1 4255550193');
  });

  it('never writes a full phone number to the logs', async () => {
    await importCsv(
      'logs.csv',
      `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0194\nbad@contosodemo.onmicrosoft.com,+1 425 555 0195\n`,
    );
    const all = h.current.logLines.join('\n');
    expect(all).toMatch(/phone import: completed/);
    expect(all).not.toMatch(/4255550194|425 555 0194|4255550195|555 0195/);
  });
});
