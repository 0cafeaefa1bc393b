import { describe, expect, it } from 'vitest';

import { AUDIT_TABLE, AuditTable } from '../../shared/storage/auditTable';
import { createStorageClients } from '../../shared/storage/clients';
import { useAzurite } from '../helpers/azurite';

const azurite = useAzurite();

function auditOn(tableName: string, now: () => Date = () => new Date()) {
  const storage = createStorageClients({ connectionString: azurite.current.connectionString });
  return new AuditTable(() => storage.table(tableName), now);
}

describe('AuditTable (real Azurite)', () => {
  it('stores entries and lists them newest first, filtered by run', async () => {
    let t = Date.parse('2026-11-25T10:00:00Z');
    const audit = auditOn('audittest1', () => new Date((t += 1000)));
    await audit.write([
      {
        action: 'sync.member.add',
        outcome: 'succeeded',
        actor: 'timer',
        target: 'u1',
        job: 'j1',
        runId: 'r1',
        reason: 'in source',
      },
      { action: 'sync.member.remove', outcome: 'succeeded', actor: 'timer', target: 'u2', job: 'j1', runId: 'r1' },
      { action: 'sync.member.add', outcome: 'failed', actor: 'timer', target: 'u3', job: 'j1', runId: 'r2' },
    ]);
    const r1 = await audit.list({
      runId: 'r1',
      since: new Date('2026-11-25T00:00:00Z'),
      until: new Date('2026-11-26T00:00:00Z'),
    });
    expect(r1.map((e) => e.target)).toEqual(['u2', 'u1']);
    expect(r1[1]).toMatchObject({
      action: 'sync.member.add',
      outcome: 'succeeded',
      actor: 'timer',
      job: 'j1',
      reason: 'in source',
    });
  });

  it('writes more than one transaction worth of entries (100 per transaction)', async () => {
    const audit = auditOn('audittest2');
    const entries = Array.from({ length: 250 }, (_, i) => ({
      action: 'phones.method.create',
      outcome: 'succeeded' as const,
      actor: 'blob:contacts.csv',
      target: `user${i}`,
      runId: 'bulk',
    }));
    await audit.write(entries);
    expect(await audit.list({ runId: 'bulk', limit: 1000 })).toHaveLength(250);
  });

  it('never stores phone numbers or secrets from details', async () => {
    const audit = auditOn(AUDIT_TABLE);
    await audit.write([
      {
        action: 'phones.method.create',
        outcome: 'succeeded',
        actor: 'test',
        runId: 'redact',
        reason: 'Graph refused +1 425 555 0123 with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        details: { phoneNumber: '+1 4255550123', temporaryAccessPass: 'Abc12345', note: 'number +1 425 555 0123' },
      },
    ]);
    const [entry] = await audit.list({ runId: 'redact' });
    const text = JSON.stringify(entry);
    expect(text).not.toContain('4255550123');
    expect(text).not.toContain('425 555 0123');
    expect(text).not.toContain('Abc12345');
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(entry?.reason).toMatch(/^Graph refused \+\* \*\*\* \*\*\* 0123 with Bearer \[REDACTED\]$/);
    expect(entry?.details).toMatchObject({ phoneNumber: '+* ******0123', temporaryAccessPass: '[REDACTED]' });
  });
});
