import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';

import { DEMO_USERS } from '../../local/tenants/demoIds';
import { eventually } from '../helpers/host';
import { useStack } from '../helpers/stack';
import { parseResults } from './harness';

/**
 * End to end through the local host (the same function definitions as Azure): a CSV dropped into Azurite's
 * phone-imports/incoming/ fires the blob trigger, chunks go through the real queue to the worker, and the demo
 * tenant in the Graph sandbox ends up with the numbers. The HTTP route runs the same pipeline.
 */
const stack = useStack({ env: { PHONE_DEFAULT_REGION: 'US', PHONE_CHUNK_SIZE: '2' } });
const U = DEMO_USERS;

const container = () =>
  BlobServiceClient.fromConnectionString(stack.current.connectionString).getContainerClient('phone-imports');
async function blobText(path: string): Promise<string | undefined> {
  const blob = container().getBlobClient(path);
  return (await blob.exists()) ? (await blob.downloadToBuffer()).toString('utf8') : undefined;
}
/** An output under its import id: `results/x.results.csv` finds `results/<importId>/x.results.csv`. */
async function outputText(path: string): Promise<string | undefined> {
  const [folder, ...rest] = path.split('/');
  for await (const b of container().listBlobsFlat({ prefix: `${folder}/` }))
    if (/^imp[0-9a-f]{29}$/.test(b.name.split('/')[1] ?? '') && b.name.endsWith(`/${rest.join('/')}`)) return blobText(b.name);
  return undefined;
}
async function phones(id: string): Promise<{ phoneNumber: string; smsSignInState: string }[]> {
  const res = await fetch(`${stack.current.sandboxUrl}/v1.0/users/${id}/authentication/phoneMethods`, {
    headers: { authorization: 'Bearer e2e-check' },
  });
  return ((await res.json()) as { value: { phoneNumber: string; smsSignInState: string }[] }).value;
}

describe('phone import end to end (local host + Azurite + Graph sandbox)', () => {
  it('imports a UserName,PhoneNumber CSV dropped into incoming/', async () => {
    await container().createIfNotExists();
    const csv = [
      'UserName,PhoneNumber,EnableSmsSignIn',
      `${U.smsNoPhone.userPrincipalName},(425) 555-0201,true`,
      `${U.exchangeOnly.userPrincipalName},+1 425 555 0202,`,
      `${U.deviceNotCompliant.userPrincipalName},+1 425 555 0203,`,
      'ghost@contosodemo.onmicrosoft.com,+1 425 555 0204,',
    ].join('\r\n');
    await container().getBlockBlobClient('incoming/drop.csv').upload(csv, Buffer.byteLength(csv));

    const results = await eventually('results of drop.csv', () => outputText('results/drop.results.csv'), 30_000);
    const rows = parseResults(results);
    expect(rows.map((r) => [r.line, r.status])).toEqual([
      ['2', 'smsEnabled'],
      ['3', 'created'],
      ['4', 'created'],
      ['5', 'failed'],
    ]);
    const summary = JSON.parse((await outputText('results/drop.summary.json')) ?? '{}') as { rows: Record<string, number> };
    expect(summary.rows).toMatchObject({ total: 4, smsEnabled: 1, created: 2, failed: 1 });
    expect(await phones(U.smsNoPhone.id)).toEqual([
      expect.objectContaining({ phoneNumber: '+1 4255550201', smsSignInState: 'ready' }),
    ]);
    expect((await phones(U.deviceNotCompliant.id))[0]?.phoneNumber).toBe('+1 4255550203');
    expect(await outputText('processed/drop.csv')).toBe(csv);
    expect(await blobText('incoming/drop.csv')).toBeUndefined();
  });

  it('runs the same pipeline from POST /api/phone-imports and reports progress on GET', async () => {
    const csv = `UserName,PhoneNumber\n${U.salesManager.userPrincipalName},+1 425 555 0211\n${U.remediated.userPrincipalName},+1 425 555 0212\n`;
    const post = await fetch(`${stack.current.apiUrl}/api/phone-imports?name=api.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(post.status).toBe(202);
    const accepted = (await post.json()) as { importId: string; file: string; status: string; dryRun: boolean };
    expect(accepted).toMatchObject({ file: 'api.csv', status: 'running', dryRun: false });
    expect(post.headers.get('location')).toBe(`/api/phone-imports/${accepted.importId}`);

    const done = await eventually(
      'the API import to complete',
      async () => {
        const res = await fetch(`${stack.current.apiUrl}/api/phone-imports/${accepted.importId}`);
        const body = (await res.json()) as { status: string; rows: Record<string, number>; resultsBlob: string | null };
        return body.status === 'completed' ? body : undefined;
      },
      30_000,
    );
    expect(done).toMatchObject({
      rows: { total: 2, done: 2, created: 2 },
      resultsBlob: expect.stringMatching(/^results\/imp[0-9a-f]{29}\/api\.results\.csv$/) as string,
    });
    expect((await phones(U.salesManager.id))[0]?.phoneNumber).toBe('+1 4255550211');
    expect(parseResults((await outputText('results/api.results.csv')) ?? '').map((r) => r.status)).toEqual([
      'created',
      'created',
    ]);

    // The same body again is the same import: nothing is applied twice.
    const again = await fetch(`${stack.current.apiUrl}/api/phone-imports?name=api.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { importId: string }).importId).toBe(accepted.importId);
  });

  it('plans without writing when posted with dryRun=true', async () => {
    const csv = `UserName,PhoneNumber,EnableSmsSignIn\n${U.riskyHigh.userPrincipalName},+1 425 555 0221,true\n`;
    const post = await fetch(`${stack.current.apiUrl}/api/phone-imports?dryRun=true`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(post.status).toBe(202);
    const accepted = (await post.json()) as { importId: string; file: string; dryRun: boolean };
    expect(accepted).toMatchObject({
      dryRun: true,
      file: expect.stringMatching(/^upload-[0-9a-f]{12}\.dryrun\.csv$/) as unknown,
    });
    const base = accepted.file.replace(/\.csv$/, '');
    const results = await eventually('dry-run results', () => outputText(`results/${base}.results.csv`), 30_000);
    expect(parseResults(results)[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^notAllowedByPolicy/) as unknown,
    });
    expect(await phones(U.riskyHigh.id)).toEqual([]);
  });

  it('answers bad uploads with the error model', async () => {
    const api = stack.current.apiUrl;
    const json = await fetch(`${api}/api/phone-imports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const bad = await fetch(`${api}/api/phone-imports?name=bad.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'Name,Email\nA,a@b.com\n',
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      error: {
        code: 'CSV_MISSING_COLUMNS',
        details: { line: 1, resultsBlob: expect.stringMatching(/^results\/imp[0-9a-f]{29}\/bad\.results\.csv$/) as string },
      },
    });
    const missing = await fetch(`${api}/api/phone-imports/imp${'0'.repeat(29)}`);
    expect(missing.status).toBe(404);
    const invalid = await fetch(`${api}/api/phone-imports/nope`);
    expect(invalid.status).toBe(400);
  });
});
