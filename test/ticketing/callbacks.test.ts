import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { type JiraStandIn, startJiraStandIn } from '../../local/stand-ins/jira';
import { type ServiceNowStandIn, startServiceNowStandIn } from '../../local/stand-ins/servicenow';
import { verifyHub } from '../../shared/ticketing/hubSignature';
import { JiraProvider } from '../../shared/ticketing/jira';
import { ServiceNowProvider } from '../../shared/ticketing/servicenow';
import { generateSecret, verify } from '../../shared/ticketing/standardWebhooks';
import { control, startRawReceiver } from './standIns';

const draft = { key: 'risk:t:u:e', category: 'risk', title: 'At-risk member', severity: 'high' as const, sections: [] };
const outcome = z.object({ delivery: z.object({ deliveryId: z.string(), attempt: z.number(), status: z.number() }) });

describe('ServiceNow stand-in approval callbacks (business rule, Standard Webhooks)', () => {
  const secret = generateSecret();
  let receiver: Awaited<ReturnType<typeof startRawReceiver>>;
  let sn: ServiceNowStandIn;
  beforeAll(async () => {
    receiver = await startRawReceiver();
    sn = await startServiceNowStandIn({ username: 'u', password: 'p', callback: { url: `${receiver.url}/servicenow`, secret } });
  });
  afterAll(async () => {
    await sn.close();
    await receiver.close();
  });

  it('posts the incident as the business rule does, signed with webhook-id sys_id:sys_mod_count', async () => {
    const p = new ServiceNowProvider({
      instanceUrl: sn.url,
      auth: { kind: 'basic', username: 'u', password: 'p' },
      closeCode: 'Solution provided',
    });
    const ref = await p.open(draft);
    await p.addNote(ref, { noteId: 'n', text: 'context' });
    const answer = outcome.parse(
      await control(sn.url, 'POST', `/_standin/incidents/${ref.displayId}/approve`, {
        action: 'resetPassword',
        approvedBy: 'beth.anglin',
        reason: 'User confirmed the phishing mail',
      }),
    );
    expect(answer.delivery).toMatchObject({ deliveryId: `${ref.externalId}:2`, attempt: 1, status: 202 });
    const [delivery] = receiver.received;
    const verified = verify(secret, delivery!.headers, delivery!.body);
    expect(verified).toMatchObject({ ok: true, id: `${ref.externalId}:2` });
    expect(JSON.parse(delivery!.body.toString('utf8'))).toEqual({
      sys_id: ref.externalId,
      number: ref.displayId,
      state: '2',
      previous_state: '1',
      sys_mod_count: '2',
      sys_updated_on: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) as unknown,
      correlation_id: 'risk:t:u:e',
      action: 'resetPassword',
      approved_by: 'beth.anglin',
      reason: 'User confirmed the phishing mail',
    });
    expect(verify(generateSecret(), delivery!.headers, delivery!.body).ok).toBe(false);
    expect(verify(secret, delivery!.headers, Buffer.concat([delivery!.body, Buffer.from(' ')])).ok).toBe(false);

    // A redelivery is the same message: same webhook-id and body, freshly signed.
    const again = outcome.parse(
      await control(sn.url, 'POST', `/_standin/deliveries/${encodeURIComponent(`${ref.externalId}:2`)}/redeliver`),
    );
    expect(again.delivery.attempt).toBe(2);
    const second = receiver.received[1]!;
    expect(second.body.equals(delivery!.body)).toBe(true);
    expect(verify(secret, second.headers, second.body)).toMatchObject({ ok: true, id: `${ref.externalId}:2` });

    // A second approval is a new update: a new sys_mod_count, so a new id.
    const next = outcome.parse(
      await control(sn.url, 'POST', `/_standin/incidents/${ref.externalId}/approve`, { action: 'revokeSessions' }),
    );
    expect(next.delivery.deliveryId).toBe(`${ref.externalId}:3`);
  });

  it('refuses malformed approvals with a 400 naming the field', async () => {
    const res = await fetch(`${sn.url}/_standin/incidents/INC0010001/approve`, { method: 'POST', body: '{"action":""}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/action/);
  });
});

describe('Jira stand-in approval webhooks (jira:issue_updated, X-Hub-Signature)', () => {
  const secret = 'jira-webhook-secret-0123456789';
  let receiver: Awaited<ReturnType<typeof startRawReceiver>>;
  let jira: JiraStandIn;
  beforeAll(async () => {
    receiver = await startRawReceiver();
    jira = await startJiraStandIn({ email: 'e@x.example', apiToken: 't', callback: { url: `${receiver.url}/jira`, secret } });
  });
  afterAll(async () => {
    await jira.close();
    await receiver.close();
  });

  it('sends issue_updated with the status changelog and the action field, signed over the raw body', async () => {
    const p = new JiraProvider({
      baseUrl: jira.url,
      email: 'e@x.example',
      apiToken: 't',
      projectKey: 'SEC',
      issueType: 'Task',
      resolveTransition: 'Done',
    });
    const ref = await p.open(draft);
    const answer = outcome.parse(
      await control(jira.url, 'POST', `/_standin/issues/${ref.externalId}/approve`, {
        action: 'revokeSessions',
        approvedBy: 'Megan Bowen',
        reason: 'ok',
      }),
    );
    expect(answer.delivery.status).toBe(202);
    const [delivery] = receiver.received;
    expect(verifyHub(secret, delivery!.headers['x-hub-signature'] as string, delivery!.body)).toBe(true);
    expect(verifyHub('other', delivery!.headers['x-hub-signature'] as string, delivery!.body)).toBe(false);
    const identifier = delivery!.headers['x-atlassian-webhook-identifier'];
    expect(identifier).toBe(answer.delivery.deliveryId);
    expect(delivery!.headers['x-atlassian-webhook-retry']).toBeUndefined();
    const body = z
      .object({
        webhookEvent: z.string(),
        timestamp: z.number(),
        user: z.object({ displayName: z.string() }),
        issue: z.object({ key: z.string(), self: z.string(), fields: z.record(z.string(), z.unknown()) }),
        changelog: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
        comment: z.object({ body: z.string() }),
      })
      .parse(JSON.parse(delivery!.body.toString('utf8')));
    expect(body.webhookEvent).toBe('jira:issue_updated');
    expect(body.user.displayName).toBe('Megan Bowen');
    expect(body.issue.key).toBe(ref.externalId);
    expect(body.issue.self).toMatch(/\/rest\/api\/2\/issue\/\d+$/);
    expect(body.changelog.items).toContainEqual(
      expect.objectContaining({ field: 'status', fieldId: 'status', fromString: 'To Do', toString: 'Approved', to: '10001' }),
    );
    expect(body.changelog.items).toContainEqual(
      expect.objectContaining({ fieldId: 'customfield_10050', toString: 'revokeSessions' }),
    );
    expect(body.issue.fields.customfield_10050).toMatchObject({ value: 'revokeSessions' });
    expect(body.comment.body).toBe('ok');

    // Jira's retry: same identifier, a retry counter, a valid signature.
    await control(jira.url, 'POST', `/_standin/deliveries/${answer.delivery.deliveryId}/redeliver`);
    const retry = receiver.received[1]!;
    expect(retry.headers['x-atlassian-webhook-identifier']).toBe(identifier);
    expect(retry.headers['x-atlassian-webhook-retry']).toBe('1');
    expect(verifyHub(secret, retry.headers['x-hub-signature'] as string, retry.body)).toBe(true);
  });
});
