import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LocalHost, startLocalHost } from '../../local/host';
import { eventGridFunction } from '../../shared/runtime/definitions';
import { memoryLogger, UNUSED_STORAGE } from '../helpers/host';

const received: unknown[] = [];
const functions = [
  eventGridFunction('onRisk', { handler: (event) => void received.push(event) }),
  eventGridFunction('alwaysFails', {
    handler: () => {
      throw new Error('downstream unavailable');
    },
  }),
];

const egEvent = (id: string, data: Record<string, unknown> = { userId: 'u1' }) => ({
  id,
  topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.EventGrid/topics/risk',
  subject: 'users/u1',
  eventType: 'EntraOps.RiskDetected',
  eventTime: '2026-11-25T10:00:00Z',
  data,
  dataVersion: '1.0',
  metadataVersion: '1',
});
const cloudEvent = (id: string) => ({
  specversion: '1.0',
  id,
  source: '/sentinel/playbook',
  type: 'EntraOps.RiskDetected',
  data: { userId: 'u2' },
});

describe('local host Event Grid webhook', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startLocalHost({
      functions,
      port: 0,
      storageConnectionString: UNUSED_STORAGE,
      logger: memoryLogger().logger,
      timers: { disabled: true },
    });
  });
  afterAll(async () => {
    await host.close();
  });

  const post = (functionName: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=${functionName}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const notify = { 'content-type': 'application/json', 'aeg-event-type': 'Notification' };

  it('answers the Event Grid subscription validation handshake', async () => {
    const validation = [
      {
        ...egEvent('v1', { validationCode: 'code-512', validationUrl: 'https://example.invalid/validate' }),
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      },
    ];
    const res = await post('onRisk', validation, {
      'content-type': 'application/json',
      'aeg-event-type': 'SubscriptionValidation',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: 'code-512' });
  });

  it('answers the CloudEvents subscription validation with double-encoded data', async () => {
    const validation = {
      ...cloudEvent('cv1'),
      type: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      data: JSON.stringify({ validationCode: 'ce-77' }),
    };
    const res = await post('onRisk', validation, {
      'content-type': 'application/cloudevents+json',
      'aeg-event-type': 'SubscriptionValidation',
    });
    expect(await res.json()).toEqual({ validationResponse: 'ce-77' });
  });

  it('answers the CloudEvents abuse-protection OPTIONS handshake', async () => {
    const res = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=onRisk`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    expect(res.headers.get('webhook-allowed-rate')).toBe('*');
  });

  it('invokes the function once per Event Grid event and answers 202', async () => {
    received.length = 0;
    const res = await post('onRisk', [egEvent('e1'), egEvent('e2')], notify);
    expect(res.status).toBe(202);
    expect(received.map((e) => (e as { id: string }).id).sort()).toEqual(['e1', 'e2']);
    expect(received[0]).toMatchObject({ eventType: 'EntraOps.RiskDetected', data: { userId: 'u1' } });
  });

  it('delivers a single CloudEvent and a CloudEvents batch without aeg-event-type', async () => {
    received.length = 0;
    expect(
      (await post('onRisk', cloudEvent('c1'), { 'content-type': 'application/cloudevents+json; charset=utf-8' })).status,
    ).toBe(202);
    expect(
      (await post('onRisk', [cloudEvent('c2'), cloudEvent('c3')], { 'content-type': 'application/cloudevents-batch+json' }))
        .status,
    ).toBe(202);
    expect(received.map((e) => (e as { id: string }).id).sort()).toEqual(['c1', 'c2', 'c3']);
    expect(received[0]).toMatchObject({ specversion: '1.0', source: '/sentinel/playbook', data: { userId: 'u2' } });
  });

  it('answers 500 when the function fails so Event Grid redelivers', async () => {
    const res = await post('alwaysFails', [egEvent('f1')], notify);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FunctionFailed');
  });

  it('answers 404 for an unknown function, listing the known ones', async () => {
    const res = await post('nope', [egEvent('x')], notify);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { details: { available: string[] } } }).error.details.available).toEqual([
      'onRisk',
      'alwaysFails',
    ]);
  });

  it('answers 400 for malformed JSON, invalid events or a missing event type header', async () => {
    received.length = 0;
    const cases: [unknown, Record<string, string>, string][] = [
      ['{not json', notify, 'InvalidJson'],
      [[{ id: 'only-an-id' }], notify, 'InvalidEvents'],
      [[], notify, 'InvalidEvents'],
      [{ ...cloudEvent('c9'), specversion: '0.3' }, { 'content-type': 'application/cloudevents+json' }, 'InvalidEvents'],
      [cloudEvent('c10'), { 'content-type': 'application/cloudevents-batch+json' }, 'InvalidEvents'],
      [[egEvent('e9')], { 'content-type': 'application/json' }, 'MissingEventType'],
      [
        [egEvent('e9')],
        { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
        'InvalidValidationEvent',
      ],
    ];
    for (const [body, headers, code] of cases) {
      const res = await post('onRisk', body, headers);
      expect(res.status, code).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(received).toHaveLength(0);
  });

  it('acknowledges subscription deletion with 202 without invoking the function', async () => {
    received.length = 0;
    const res = await post('onRisk', [egEvent('d1')], { 'content-type': 'application/json', 'aeg-event-type': 'Unsubscribe' });
    expect(res.status).toBe(202);
    expect(received).toHaveLength(0);
  });
});
