import { describe, expect, it } from 'vitest';

import { ticketText } from '../../shared/risk/ticketText';

const enrichment = { detections: [], signIns: [], p2Absent: false };
const nextSteps = (kind: 'member' | 'guest') =>
  ticketText({
    user: { id: '1', userPrincipalName: 'ana_fabrikam.com#EXT#@contoso.onmicrosoft.com', kind },
    reason: 'userRisk',
    level: 'high',
    enrichment,
  }).sections.find((s) => s.heading === 'What to do next')?.lines ?? [];

describe('risk ticket text', () => {
  it("points a guest's ticket at the guest-risk check and its fix, where the exclusion is made", () => {
    const lines = nextSteps('guest').join('\n');
    expect(lines).toContain('GET /api/ca/guest-risk');
    expect(lines).toContain('POST /api/ca/guest-risk');
    expect(lines).toContain('(user.userType -eq "Guest")');
  });

  it("does not offer the guest exclusion on a member's ticket", () => {
    expect(nextSteps('member').join('\n')).not.toContain('guest-risk');
  });
});
