import { describe, expect, it } from 'vitest';

import { defaultKnobs, type SandboxKnobs } from '../../local/sandbox/index';
import { formatRetryAfter, limitPercentage, tenantSizeFor, Throttler } from '../../local/sandbox/throttling';

const knobs = (patch: Partial<SandboxKnobs> = {}): SandboxKnobs => ({ ...defaultKnobs(), ...patch });
const base = { appId: 'app', tenantId: 'tenant', userCount: 10 } as const;

describe('sandbox throttling budgets', () => {
  it('sizes tenants by user count as Graph documents (S <50, M 50-500, L >500)', () => {
    expect([tenantSizeFor(49), tenantSizeFor(50), tenantSizeFor(500), tenantSizeFor(501)]).toEqual(['S', 'M', 'M', 'L']);
  });

  it('caps writes at 3,000 per 150 s per app even with resource units left', () => {
    // timeScale 0.001 makes refill negligible while the loop runs.
    const t = new Throttler(() => knobs({ timeScale: 0.001, throttling: { enabled: true, tenantSize: 'L' } }));
    let allowed = 0;
    let verdict = t.charge({ ...base, cls: 'identity', ru: 1, write: true });
    while (verdict.ok) {
      allowed++;
      verdict = t.charge({ ...base, cls: 'identity', ru: 1, write: true });
    }
    expect(allowed).toBe(3000);
    expect(verdict.headers['x-ms-throttle-information']).toBe('WriteLimitExceeded');
    expect(verdict.headers['x-ms-throttle-scope']).toBe('Tenant_Application/Write/app/tenant');
    // Reads still fit in the resource-unit budget.
    expect(t.charge({ ...base, cls: 'identity', ru: 1, write: false }).ok).toBe(true);
  });

  it('spends the resource-unit budget of the tenant size and reports the wait', () => {
    const t = new Throttler(() => knobs({ timeScale: 0.001, throttling: { enabled: true, tenantSize: 'M' } }));
    let spent = 0;
    while (t.charge({ ...base, cls: 'identity', ru: 5, write: false }).ok) spent += 5;
    expect(spent).toBe(5000);
    const refused = t.charge({ ...base, cls: 'identity', ru: 5, write: false });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.headers['x-ms-resource-unit']).toBe('5');
  });

  it('keeps budgets per app', () => {
    const t = new Throttler(() => knobs({ timeScale: 0.001 }));
    while (t.charge({ ...base, cls: 'reports', ru: 1, write: false }).ok);
    expect(t.charge({ ...base, appId: 'other', cls: 'reports', ru: 1, write: false }).ok).toBe(true);
  });

  it('shares the identity-protection budget across apps and sends no Retry-After', () => {
    const t = new Throttler(() => knobs({ timeScale: 0.001 }));
    expect(t.charge({ ...base, cls: 'protection', ru: 1, write: false }).ok).toBe(true);
    const refused = t.charge({ ...base, appId: 'other', cls: 'protection', ru: 1, write: false });
    expect(refused.ok).toBe(false);
    expect(refused.retryAfterSeconds).toBeUndefined();
  });

  it('lets everything through when throttling is off', () => {
    const t = new Throttler(() => knobs({ throttling: { enabled: false, tenantSize: 'S' } }));
    for (let i = 0; i < 5000; i++) expect(t.charge({ ...base, cls: 'protection', ru: 1, write: false }).ok).toBe(true);
  });

  it('formats Retry-After in seconds with millisecond precision', () => {
    expect(formatRetryAfter(2.1281)).toBe('2.129');
    expect(formatRetryAfter(0)).toBe('0.001');
  });
});

describe('sandbox x-ms-throttle-limit-percentage', () => {
  it('sends x-ms-throttle-limit-percentage only once the app has used more than 0.8 of a limit', () => {
    // timeScale 1e-9: no measurable refill while the loop runs, so the fractions are exact.
    const t = new Throttler(() => knobs({ timeScale: 1e-9, throttling: { enabled: true, tenantSize: 'L' } }));
    const seen: (string | undefined)[] = [];
    for (let i = 1; i <= 3000; i++)
      seen.push(t.charge({ ...base, cls: 'identity', ru: 1, write: true }).headers['x-ms-throttle-limit-percentage']);
    // Writes 1-2,400 are at most 0.8 of the 3,000-write quota: no header; then the use is reported, rising to 1.
    expect(seen.slice(0, 2400).every((h) => h === undefined)).toBe(true);
    expect(seen[2400]).toBe('0.8');
    expect(seen[2700]).toBe('0.9');
    expect(seen[2999]).toBe('1');
    // A read answered now reports the same use of the app's limits; a refusal carries no percentage.
    expect(t.charge({ ...base, cls: 'identity', ru: 1, write: false }).headers['x-ms-throttle-limit-percentage']).toBe('1');
    expect(t.charge({ ...base, cls: 'identity', ru: 1, write: true }).headers['x-ms-throttle-limit-percentage']).toBeUndefined();
  });

  it('reports the use fraction with two decimals, never above 1.8 and never at or below 0.8', () => {
    expect([limitPercentage(0.8), limitPercentage(0.8001), limitPercentage(0.956), limitPercentage(2.5)]).toEqual([
      undefined,
      '0.8',
      '0.95',
      '1.8',
    ]);
  });
});
