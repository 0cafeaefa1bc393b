import { InvocationContext } from '@azure/functions';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import { phoneImportPoisonHandler } from '../../functions/phoneImportPoison';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { processChunk } from '../../shared/phones/processChunk';
import { sweepStuckImports } from '../../shared/phones/recover';
import { setServices } from '../../shared/runtime/services';
import { eventually } from '../helpers/host';
import { parseResults, usePhoneHarness } from './harness';

/**
 * Imports that the normal path cannot finish, on real Azurite and the Graph sandbox: a chunk whose reads fail outside
 * Graph's per-item answers, a chunk message the queue gave up on, a lost message, a chunk that outlasts its lease, and
 * two deliveries of one file.
 */
const h = usePhoneHarness();
const U = DEMO_USERS;

beforeEach(async () => {
  await h.current.sandboxPost('/_sandbox/reset', {});
});
afterAll(() => {
  setServices(undefined);
});

async function start(file: string, rows: [string, string][]) {
  const csv = `UserName,PhoneNumber\n${rows.map(([u, p]) => `${u},${p}`).join('\n')}\n`;
  await h.current.upload(`incoming/${file}`, csv);
  const result = await h.current.run({ path: `incoming/${file}`, file });
  if (result.outcome === 'missing') throw new Error('missing');
  return result.record.importId;
}
const results = async (file: string) =>
  parseResults((await h.current.output(`results/${file.replace(/\.csv$/, '')}.results.csv`)) ?? '');

describe('phone import recovery', () => {
  it('defers a chunk whose reads fail outside per-item answers, then applies it; the last attempt fails its rows', async () => {
    await start('readfail.csv', [[U.smsNoPhone.userPrincipalName, '+1 425 555 0301']]);
    await h.current.sandboxPost('/_sandbox/knobs', {
      faults: [{ route: 'POST /$batch', kind: '500', times: 1000, scope: 'topLevel' }],
    });
    const [first] = await h.current.take();
    if (!first) throw new Error('no chunk message');
    const deps = { ...h.current.deps(), owner: first.owner, retryDelaySeconds: () => 0 };
    expect(await processChunk(first.message, deps)).toBe('deferred');
    await first.remove();
    await h.current.sandboxPost('/_sandbox/knobs', { faults: [] });
    const [retry] = await h.current.take();
    expect(retry?.message).toMatchObject({ chunk: 0, attempt: 2 });
    if (!retry) throw new Error('no deferred message');
    expect(await processChunk(retry.message, { ...h.current.deps(), owner: retry.owner })).toBe('processed');
    await retry.remove();
    expect((await results('readfail.csv')).map((r) => r.status)).toEqual(['created']);

    await start('readfail2.csv', [[U.exchangeOnly.userPrincipalName, '+1 425 555 0302']]);
    await h.current.sandboxPost('/_sandbox/knobs', {
      faults: [{ route: 'POST /$batch', kind: '500', times: 1000, scope: 'topLevel' }],
    });
    const [last] = await h.current.take();
    if (!last) throw new Error('no chunk message');
    expect(await processChunk({ ...last.message, attempt: 8 }, { ...h.current.deps(), owner: last.owner })).toBe('processed');
    await last.remove();
    const [row] = await results('readfail2.csv');
    expect(row).toMatchObject({ status: 'failed', reason: expect.stringMatching(/the chunk failed: .*500/) as unknown });
  });

  it('fails the rows of a poisoned chunk message with the reason and finishes the import', async () => {
    const importId = await start('poison.csv', [
      [U.smsNoPhone.userPrincipalName, '+1 425 555 0311'],
      [U.exchangeOnly.userPrincipalName, '+1 425 555 0312'],
    ]);
    const [message] = await h.current.take();
    if (!message) throw new Error('no chunk message');
    await message.remove();
    setServices(h.current.services);
    const context = new InvocationContext({
      invocationId: 'poison',
      functionName: 'phoneImportPoison',
      logHandler: () => undefined,
    });
    await phoneImportPoisonHandler(message.message, context);
    const rows = await results('poison.csv');
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(rows[0]?.reason).toMatch(/poison queue/);
    expect((await h.current.deps().records.get(importId))?.status).toBe('completed');
    // A second delivery of the same poison message changes nothing.
    await phoneImportPoisonHandler(message.message, context);
    expect((await h.current.deps().records.get(importId))?.status).toBe('completed');
  });

  it('finishes an import stuck in running after its chunk message was lost', async () => {
    const importId = await start('lostmsg.csv', [[U.riskyHigh.userPrincipalName, '+1 425 555 0321']]);
    for (const m of await h.current.take()) await m.remove();
    const deps = h.current.deps();
    expect(await sweepStuckImports({ ...deps, clock: () => new Date() })).toEqual([]);
    const later = await sweepStuckImports({ ...deps, clock: () => new Date(Date.now() + 2 * 3600_000) });
    expect(later).toContain(importId);
    expect((await deps.records.get(importId))?.status).toBe('completed');
    const [row] = await results('lostmsg.csv');
    expect(row).toMatchObject({ status: 'failed', reason: expect.stringMatching(/never processed/) as unknown });
  });

  it('renews a chunk lease while the chunk works, so a second delivery cannot take it', async () => {
    await start('slow.csv', [[U.deviceNotCompliant.userPrincipalName, '+1 425 555 0331']]);
    await h.current.sandboxPost('/_sandbox/knobs', { latencyMs: { min: 400, max: 400 } });
    const [delivery] = await h.current.take();
    if (!delivery) throw new Error('no chunk message');
    const deps = { ...h.current.deps(), owner: delivery.owner, leaseMs: 600 };
    const work = processChunk(delivery.message, deps);
    // Reads take three 400 ms round trips: well past the 600 ms lease by the time rows are about to be written.
    await eventually('rows marked applying', async () =>
      (await deps.rows.chunkRows(delivery.message.importId, 0)).some((r) => r.state === 'applying'),
    );
    expect(await deps.chunkLeases.claimChunk(delivery.message.importId, 0, 'second-delivery', 600)).toBe('busy');
    expect(await work).toBe('processed');
    await delivery.remove();
    await h.current.sandboxPost('/_sandbox/knobs', { latencyMs: { min: 0, max: 0 } });
  });

  it('lets only one of two concurrent deliveries of a file validate, and never turns completed back to running', async () => {
    const csv = `UserName,PhoneNumber\n${U.smsNoPhone.userPrincipalName},+1 425 555 0341\n`;
    await h.current.upload('incoming/twice.csv', csv);
    const input = { path: 'incoming/twice.csv', file: 'twice.csv' };
    const [a, b] = await Promise.all([
      h.current.run(input).catch((e: unknown) => e),
      h.current.run(input).catch((e: unknown) => e),
    ]);
    const outcomes = [a, b].map((r) => (r as { outcome?: string }).outcome).sort();
    expect(outcomes).toEqual(['resumed', 'started']);
    const messages = await h.current.take();
    expect(messages).toHaveLength(1);
    for (const m of messages) {
      await processChunk(m.message, { ...h.current.deps(), owner: m.owner });
      await m.remove();
    }
    const started = (a as { record: { importId: string } }).record;
    const records = h.current.deps().records;
    expect((await records.get(started.importId))?.status).toBe('completed');
    expect(await records.update(started.importId, { status: 'running' }, 'validating')).toBe(false);
    expect((await records.get(started.importId))?.status).toBe('completed');
  });
});
