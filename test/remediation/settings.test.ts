import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../shared/config';
import { DEFAULT_ALLOW } from '../../shared/remediation/actions';

const minimal = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('remediation settings', () => {
  it('defaults to the per-kind allow-lists, no callbacks and no directory role', () => {
    const r = loadConfig(minimal).remediation;
    expect(r.allow).toEqual(DEFAULT_ALLOW);
    expect(r.callbackSecrets).toEqual({ servicenow: [], jira: [], webhook: [], builtin: [] });
    expect(r.appDirectoryRole).toBe('none');
  });

  it('parses allow-lists, Jira status mappings and rotated secrets', () => {
    const r = loadConfig({
      ...minimal,
      REMEDIATION_ALLOW_GUEST: 'block, notifySponsors',
      JIRA_APPROVAL_STATUSES: 'Approved - Block=block,Reset=resetPassword',
      JIRA_WEBHOOK_SECRET: 'old-secret new-secret',
    }).remediation;
    expect(r.allow.guest).toEqual(['block', 'notifySponsors']);
    expect(r.jiraApprovalStatuses).toEqual({ 'approved - block': 'block', reset: 'resetPassword' });
    expect(r.callbackSecrets.jira).toEqual(['old-secret', 'new-secret']);
  });

  it('fails fast on unknown actions, bad mappings, a short vault key and a malformed whsec secret', () => {
    let error: unknown;
    try {
      loadConfig({
        ...minimal,
        REMEDIATION_ALLOW_MEMBER: 'block,deleteUser',
        JIRA_APPROVAL_STATUSES: 'Approved',
        PASS_VAULT_KEY: 'c2hvcnQ=',
        TICKET_CALLBACK_SECRET_BUILTIN: 'whsec_short',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const key of ['REMEDIATION_ALLOW_MEMBER', 'JIRA_APPROVAL_STATUSES', 'PASS_VAULT_KEY', 'TICKET_CALLBACK_SECRET_BUILTIN'])
      expect((error as ConfigError).message).toContain(key);
  });
});
