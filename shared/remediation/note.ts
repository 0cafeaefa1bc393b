import { ACTION_SPECS } from './actions';
import type { StoredRequest } from './ports';

/** The ticket note for a finished request: what was done, when sign-in works again, where to fetch a secret. */
export function outcomeNote(request: StoredRequest, retrievalBaseUrl: string): string {
  const o = request.outcome;
  const lines = [
    `entra-ops remediation ${request.action} for user ${request.userId}: ${request.state}.`,
    `Approved by ${request.approvedBy} at ${request.approvedAt}${request.reason ? `: ${request.reason}` : ''}.`,
  ];
  if (o) {
    lines.push(`${request.state === 'succeeded' ? 'Done' : 'Not done'} at ${o.completedAt}: ${o.message}`);
    if (o.code) lines.push(`Code: ${o.code}.`);
    if (o.fix) lines.push(`To fix: ${o.fix}`);
    if (request.state === 'succeeded') lines.push(`Sign-in: ${o.signInAfter ?? ACTION_SPECS[request.action].signInAfter}`);
    if (o.retrievalId) {
      lines.push(
        `Retrieve the secret once, signed in as an entra-ops admin, before ${o.retrievalExpiresAt ?? 'it expires'}: ${retrievalBaseUrl.replace(/\/+$/, '')}/api/taps/${o.retrievalId} (it is never written into this ticket; the link works once).`,
      );
    }
  }
  return lines.join('\n');
}
