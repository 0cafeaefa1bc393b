import { describe, expect, it } from 'vitest';

import { parseEnvelope, signalsFromData } from '../../shared/risk/signals';

const eg = (data: unknown) => ({ id: 'e1', eventType: 'X', subject: 's', eventTime: '2026-12-02T10:00:00Z', data });
const parse = (raw: unknown) => {
  const env = parseEnvelope(raw);
  if (!env.ok) throw new Error(env.message);
  return signalsFromData(env.event);
};
const U = '9ce4aa5f-0b47-42d2-9e05-c9906be994f2';

describe('parseEnvelope', () => {
  it('reads both schemas and CloudEvents data_base64', () => {
    expect(parseEnvelope(eg({})).ok).toBe(true);
    const b64 = Buffer.from(JSON.stringify({ userId: U })).toString('base64');
    const ce = parseEnvelope({ specversion: '1.0', id: 'c1', type: 't', source: '/s', data_base64: b64 });
    expect(ce.ok && ce.event.data).toEqual({ userId: U });
  });

  it('refuses envelopes without an id or with undecodable data_base64', () => {
    expect(parseEnvelope({ eventType: 'X', eventTime: 'now' }).ok).toBe(false);
    expect(parseEnvelope({ specversion: '1.0', id: 'c', type: 't', source: '/s', data_base64: '!!' }).ok).toBe(false);
  });
});

describe('signalsFromData', () => {
  it('recognises each shape by its fields, not by the event type', () => {
    expect(parse(eg({ userId: U, riskLevel: 'high' }))).toMatchObject({ kind: 'signals', shape: 'userRisk' });
    expect(parse(eg({ id: U, riskState: 'atRisk', riskLevel: 'high' }))).toMatchObject({ shape: 'riskyUser' });
    expect(parse(eg({ id: 'd1', riskEventType: 'unfamiliarFeatures', userId: U }))).toMatchObject({ shape: 'riskDetection' });
    expect(parse(eg({ changeType: 'updated', resource: `users/${U}`, resourceData: { id: U } }))).toMatchObject({
      shape: 'usersChangeNotification',
    });
    expect(
      parse(eg({ properties: { relatedEntities: [{ kind: 'Account', properties: { aadUserId: U } }], incidentNumber: 7 } })),
    ).toMatchObject({ shape: 'sentinelIncident', signals: [{ user: { id: U }, kind: 'recheck' }] });
  });

  it('acknowledges unknown data and refuses data that breaks a shape it claims', () => {
    expect(parse(eg({ hello: 1 }))).toEqual({ kind: 'unknown' });
    expect(parse(eg(null))).toEqual({ kind: 'unknown' });
    expect(parse(eg({ id: U, riskState: 'atRisk', riskLevel: 'banana' }))).toMatchObject({ kind: 'invalid', shape: 'riskyUser' });
    expect(parse(eg({ userId: 'not-a-guid' }))).toMatchObject({ kind: 'invalid', shape: 'userRisk' });
  });
});
