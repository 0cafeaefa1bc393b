import { describe, expect, it } from 'vitest';

import { decideEpisode } from '../../shared/risk/episode';
import { meetsMinimum } from '../../shared/risk/model';

const base = { kind: 'member' as const, homeTenantBlock: false, open: undefined, minLevel: 'medium' as const };

describe('decideEpisode', () => {
  it('opens a user-risk episode for an at-risk user at or above the minimum level', () => {
    expect(decideEpisode({ ...base, view: { state: 'atRisk', level: 'high' } })).toEqual({ action: 'open', reason: 'userRisk' });
    expect(decideEpisode({ ...base, view: { state: 'confirmedCompromised', level: 'medium' } })).toMatchObject({
      action: 'open',
    });
  });

  it('ignores risk below the minimum, but a hidden level (no P2) always counts', () => {
    expect(decideEpisode({ ...base, view: { state: 'atRisk', level: 'low' } })).toEqual({ action: 'none', why: 'belowMinimum' });
    expect(decideEpisode({ ...base, view: { state: 'atRisk', level: 'hidden' } })).toMatchObject({ action: 'open' });
  });

  it('opens a home-tenant episode for a guest blocked with 53011, never for a member', () => {
    expect(decideEpisode({ ...base, kind: 'guest', homeTenantBlock: true, view: undefined })).toEqual({
      action: 'open',
      reason: 'homeTenantBlock',
    });
    expect(decideEpisode({ ...base, homeTenantBlock: true, view: undefined })).toEqual({ action: 'none', why: 'notAtRisk' });
  });

  it('updates an open ticket while the risk lasts and resolves it when the risk was cleared elsewhere', () => {
    const open = { reason: 'userRisk' as const };
    expect(decideEpisode({ ...base, open, view: { state: 'atRisk', level: 'low' } })).toEqual({ action: 'update' });
    const dismissed = decideEpisode({ ...base, open, view: { state: 'dismissed', detail: 'adminDismissedAllRiskForUser' } });
    expect(dismissed).toMatchObject({ action: 'resolve' });
    expect(dismissed.action === 'resolve' && dismissed.note).toMatch(/dismissed \(adminDismissedAllRiskForUser\)/);
    expect(decideEpisode({ ...base, open, view: { noRecord: true } })).toMatchObject({ action: 'resolve' });
  });

  it("never resolves a home-tenant block from this tenant's riskyUser state", () => {
    expect(decideEpisode({ ...base, kind: 'guest', open: { reason: 'homeTenantBlock' }, view: { noRecord: true } })).toEqual({
      action: 'update',
    });
  });
});

describe('meetsMinimum', () => {
  it('orders low < medium < high and rejects none', () => {
    expect(meetsMinimum('medium', 'medium')).toBe(true);
    expect(meetsMinimum('low', 'medium')).toBe(false);
    expect(meetsMinimum('none', 'low')).toBe(false);
  });
});
