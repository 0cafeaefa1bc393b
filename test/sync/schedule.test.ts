import { describe, expect, it } from 'vitest';

import { dueOccurrence, latestOccurrence, scheduleProblem } from '../../shared/sync/schedule';

describe('schedule', () => {
  it('accepts six-field NCRONTAB and refuses five-field cron with the expected format', () => {
    expect(scheduleProblem('0 */15 * * * *')).toBeUndefined();
    expect(scheduleProblem('*/15 * * * *')).toContain('six fields');
    expect(scheduleProblem('0 0 25 * * *')).toContain('not a valid');
  });

  it('finds the latest occurrence at or before now', () => {
    expect(latestOccurrence('0 0 * * * *', new Date('2026-11-25T10:30:00Z')).toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(latestOccurrence('0 0 * * * *', new Date('2026-11-25T10:00:00Z')).toISOString()).toBe('2026-11-25T10:00:00.000Z');
  });

  it('is due once per occurrence, and missed occurrences collapse into one', () => {
    const since = new Date('2026-11-25T08:00:00Z');
    expect(dueOccurrence('0 0 * * * *', since, new Date('2026-11-25T08:59:59Z'))).toBeUndefined();
    expect(dueOccurrence('0 0 * * * *', since, new Date('2026-11-25T11:20:00Z'))?.toISOString()).toBe('2026-11-25T11:00:00.000Z');
  });
});
