/**
 * Recognises risk signals in an Event Grid delivery by the shape of `data`, whatever the event type is called:
 * publishers (Sentinel and Defender automation, Logic Apps, scripts) name their events freely.
 *
 * Shapes, tried in this order:
 * 1. a Graph `users` change notification (resource `users/{id}`, resourceData.id): "re-check this user";
 * 2. a Sentinel incident (the playbook trigger's body or the bare incident) whose Account entities carry `aadUserId`;
 * 3. a Graph riskDetection (`riskEventType` + `userId`);
 * 4. a Graph riskyUser (`id` + `riskState`);
 * 5. `{ userId | userPrincipalName, riskLevel?, source? }` from any publisher.
 * Data that matches none is acknowledged and logged (`unknown`); data that claims a shape and breaks it (a riskyUser
 * with riskLevel "banana") is `invalid`, refused so Event Grid retries and then dead-letters it.
 */
import { z } from 'zod';

import { type DetectionFacts, RISK_LEVELS, RISK_STATES, type RiskSignal } from './model';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an object id (GUID)');
const upn = z.string().trim().min(3).max(1024).regex(/@/, 'must be a user principal name');
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date');

/** The envelope fields we use, for both schemas; the host (and Azure's extension) already validated the rest. */
const cloudEvent = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  time: isoDate.optional(),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
});
const eventGridEvent = z.looseObject({
  id: z.string().min(1),
  eventType: z.string().min(1),
  eventTime: isoDate,
  subject: z.string().optional(),
  topic: z.string().optional(),
  data: z.unknown().optional(),
});

export interface ParsedEvent {
  readonly id: string;
  /** Event type and source/topic, for logs and the timeline. */
  readonly type: string;
  readonly publisher: string;
  readonly time: string;
  readonly data: unknown;
}

export type EnvelopeResult = { ok: true; event: ParsedEvent } | { ok: false; message: string };

export function parseEnvelope(value: unknown): EnvelopeResult {
  if (has(value, 'specversion')) {
    const parsed = cloudEvent.safeParse(value);
    if (!parsed.success) return { ok: false, message: issues(parsed.error) };
    const e = parsed.data;
    let data: unknown = e.data;
    if (data === undefined && e.data_base64 !== undefined) {
      try {
        data = JSON.parse(Buffer.from(e.data_base64, 'base64').toString('utf8')) as unknown;
      } catch {
        return { ok: false, message: 'data_base64 is not base64-encoded JSON' };
      }
    }
    return { ok: true, event: { id: e.id, type: e.type, publisher: e.source, time: e.time ?? new Date().toISOString(), data } };
  }
  const parsed = eventGridEvent.safeParse(value);
  if (!parsed.success) return { ok: false, message: issues(parsed.error) };
  const e = parsed.data;
  return {
    ok: true,
    event: { id: e.id, type: e.eventType, publisher: e.topic ?? e.subject ?? 'eventgrid', time: e.eventTime, data: e.data },
  };
}

// Graph change notification for users (change-notifications through Event Grid partner topics).
const userChange = z.looseObject({
  changeType: z.string(),
  resource: z.string().regex(/^\/?users\//i),
  resourceData: z.looseObject({ id: guid }),
});

const account = z.looseObject({
  kind: z.literal('Account'),
  properties: z.looseObject({ aadUserId: guid.optional() }).optional(),
});
const incidentProps = z.looseObject({
  incidentNumber: z.union([z.number(), z.string()]).optional(),
  title: z.string().optional(),
  severity: z.string().optional(),
  relatedEntities: z.array(z.unknown()),
});
const playbookBody = z.looseObject({ object: z.looseObject({ properties: incidentProps }) });
const bareIncident = z.looseObject({ properties: incidentProps });

const riskLevel = z.enum(RISK_LEVELS);
const riskState = z.enum(RISK_STATES);
const location = z
  .looseObject({ city: z.string().nullish(), countryOrRegion: z.string().nullish() })
  .nullish()
  .transform((l) => [l?.city, l?.countryOrRegion].filter((p): p is string => !!p).join(', ') || undefined);

const detection = z.looseObject({
  id: z.string().min(1),
  riskEventType: z.string().min(1),
  userId: guid,
  userPrincipalName: z.string().nullish(),
  riskLevel: riskLevel.nullish(),
  riskState: riskState.nullish(),
  detectedDateTime: isoDate.nullish(),
  activityDateTime: isoDate.nullish(),
  ipAddress: z.string().nullish(),
  location,
  source: z.string().nullish(),
});

const riskyUser = z.looseObject({
  id: guid,
  riskState,
  riskLevel: riskLevel.nullish(),
  riskDetail: z.string().nullish(),
  riskLastUpdatedDateTime: isoDate.nullish(),
  userPrincipalName: z.string().nullish(),
});

const simple = z
  .looseObject({
    userId: guid.optional(),
    userPrincipalName: upn.optional(),
    riskLevel: riskLevel.optional(),
    source: z.string().max(200).optional(),
  })
  .refine((v) => v.userId !== undefined || v.userPrincipalName !== undefined, 'needs userId or userPrincipalName');

export type SignalParse =
  | { kind: 'signals'; shape: string; signals: RiskSignal[] }
  | { kind: 'unknown' }
  | { kind: 'invalid'; shape: string; message: string };

const has = (data: unknown, key: string): boolean => typeof data === 'object' && data !== null && key in data;
const issues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ');
const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function detectionFacts(d: z.output<typeof detection>): DetectionFacts {
  return {
    id: d.id,
    riskEventType: d.riskEventType,
    ...(d.riskLevel ? { riskLevel: d.riskLevel } : {}),
    ...(d.riskState ? { riskState: d.riskState } : {}),
    ...(d.detectedDateTime ? { detectedDateTime: d.detectedDateTime } : {}),
    ...(d.activityDateTime ? { activityDateTime: d.activityDateTime } : {}),
    ...(d.ipAddress ? { ipAddress: d.ipAddress } : {}),
    ...(d.location ? { location: d.location } : {}),
    ...(d.source ? { source: d.source } : {}),
  };
}

/** The signals in one event's data (several for an incident with several accounts), by the first shape it claims. */
export function signalsFromData(event: ParsedEvent): SignalParse {
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { kind: 'unknown' };
  if (has(data, 'resourceData') && has(data, 'resource')) return fromUserChange(data, event);
  if (has(data, 'relatedEntities') || has(data, 'objectSchemaType') || has(data, 'properties'))
    return fromSentinelIncident(data, event);
  if (has(data, 'riskEventType')) return fromRiskDetection(data, event);
  if (has(data, 'riskState') && has(data, 'id')) return fromRiskyUser(data, event);
  if (has(data, 'userId') || has(data, 'userPrincipalName')) return fromUserRisk(data, event);
  return { kind: 'unknown' };
}

const sourceOf = (event: ParsedEvent) => `event:${event.type}`;

/** A Graph `users` change notification: re-check the user it names. */
function fromUserChange(data: object, event: ParsedEvent): SignalParse {
  const p = userChange.safeParse(data);
  if (!p.success) return { kind: 'unknown' };
  const user = { id: p.data.resourceData.id.toLowerCase() };
  return {
    kind: 'signals',
    shape: 'usersChangeNotification',
    signals: [{ source: sourceOf(event), kind: 'recheck', user, reference: event.id, at: event.time }],
  };
}

/** A Sentinel incident, wrapped in a playbook trigger's body or bare: re-check every Entra account it names. */
function fromSentinelIncident(data: object, event: ParsedEvent): SignalParse {
  const wrapped = has(data, 'object');
  const p = wrapped ? playbookBody.safeParse(data) : bareIncident.safeParse(data);
  if (!p.success) return { kind: 'invalid', shape: 'sentinelIncident', message: issues(p.error) };
  const props = wrapped
    ? (p.data as z.output<typeof playbookBody>).object.properties
    : (p.data as z.output<typeof bareIncident>).properties;
  const ids = new Set<string>();
  for (const entity of props.relatedEntities) {
    const a = account.safeParse(entity);
    if (a.success && a.data.properties?.aadUserId) ids.add(a.data.properties.aadUserId.toLowerCase());
  }
  if (ids.size === 0) return { kind: 'unknown' };
  const reference = `Sentinel incident ${String(props.incidentNumber ?? event.id)}${props.title ? `: ${props.title}` : ''}`;
  return {
    kind: 'signals',
    shape: 'sentinelIncident',
    signals: [...ids].map((id) => ({ source: 'sentinel', kind: 'recheck' as const, user: { id }, reference, at: event.time })),
  };
}

/** A Graph riskDetection: re-check its user, carrying the detection. */
function fromRiskDetection(data: object, event: ParsedEvent): SignalParse {
  const p = detection.safeParse(data);
  if (!p.success) return { kind: 'invalid', shape: 'riskDetection', message: issues(p.error) };
  const d = p.data;
  const user = { id: d.userId.toLowerCase(), ...(d.userPrincipalName ? { userPrincipalName: d.userPrincipalName } : {}) };
  return {
    kind: 'signals',
    shape: 'riskDetection',
    signals: [
      {
        source: sourceOf(event),
        kind: 'recheck',
        user,
        detections: [detectionFacts(d)],
        reference: `detection ${d.id}`,
        at: event.time,
      },
    ],
  };
}

/** A Graph riskyUser: the user's risk as Graph states it. */
function fromRiskyUser(data: object, event: ParsedEvent): SignalParse {
  const p = riskyUser.safeParse(data);
  if (!p.success) return { kind: 'invalid', shape: 'riskyUser', message: issues(p.error) };
  const r = p.data;
  const risk = {
    state: r.riskState,
    ...(r.riskLevel ? { level: r.riskLevel } : {}),
    ...(opt(r.riskDetail) ? { detail: r.riskDetail ?? '' } : {}),
    ...(r.riskLastUpdatedDateTime ? { lastUpdated: r.riskLastUpdatedDateTime } : {}),
  };
  const user = { id: r.id.toLowerCase(), ...(r.userPrincipalName ? { userPrincipalName: r.userPrincipalName } : {}) };
  return {
    kind: 'signals',
    shape: 'riskyUser',
    signals: [{ source: sourceOf(event), kind: 'risk', user, risk, reference: event.id, at: event.time }],
  };
}

/** `{ userId | userPrincipalName, riskLevel?, source? }` from any publisher. */
function fromUserRisk(data: object, event: ParsedEvent): SignalParse {
  const p = simple.safeParse(data);
  if (!p.success) return { kind: 'invalid', shape: 'userRisk', message: issues(p.error) };
  const s = p.data;
  const user = {
    ...(s.userId ? { id: s.userId.toLowerCase() } : {}),
    ...(s.userPrincipalName ? { userPrincipalName: s.userPrincipalName } : {}),
  };
  return {
    kind: 'signals',
    shape: 'userRisk',
    signals: [
      {
        source: s.source ? `event:${s.source}` : sourceOf(event),
        // A publisher saying "this user is risky" is trusted for opening (the topic is authenticated); the poll
        // reconciles the state with Graph later.
        kind: 'risk',
        user,
        risk: { state: 'atRisk', ...(s.riskLevel ? { level: s.riskLevel } : {}) },
        reference: event.id,
        at: event.time,
      },
    ],
  };
}
