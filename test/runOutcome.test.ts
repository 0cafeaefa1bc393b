import { describe, expect, it } from 'vitest';

import { importOutcome } from '../shared/phones/types';
import { appliedOutcome, RUN_OUTCOMES } from '../shared/runOutcome';

describe('run outcomes', () => {
  it('are the four words every job ends a run with', () => {
    expect(RUN_OUTCOMES).toEqual(['succeeded', 'partial', 'failed', 'blocked']);
  });

  it('call a run succeeded when nothing failed, even when there was nothing to do', () => {
    expect(appliedOutcome(3, 0)).toBe('succeeded');
    expect(appliedOutcome(0, 0)).toBe('succeeded');
  });

  it('call a run partial when some items went through and some failed, failed when none went through', () => {
    expect(appliedOutcome(2, 1)).toBe('partial');
    expect(appliedOutcome(0, 4)).toBe('failed');
  });
});

describe('importOutcome', () => {
  const counts = { created: 0, updated: 0, unchanged: 0, smsEnabled: 0, conflict: 0, failed: 0, skipped: 0 };

  it('counts failed and conflicting rows as not applied, skipped and unchanged rows as settled', () => {
    expect(importOutcome({ ...counts, created: 5, skipped: 2, unchanged: 1 })).toBe('succeeded');
    expect(importOutcome({ ...counts, created: 5, conflict: 1 })).toBe('partial');
    expect(importOutcome({ ...counts, smsEnabled: 1, failed: 3 })).toBe('partial');
    expect(importOutcome({ ...counts, failed: 2, conflict: 1 })).toBe('failed');
  });
});
