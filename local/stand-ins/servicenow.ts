/**
 * ServiceNow stand-in: the part of the Table API entra-ops uses, on the incident table, as documented for the
 * Washington DC release (fidelity notes in FIDELITY.md next to this file).
 *
 * - Auth: Basic for the configured integration user, or `Authorization: Bearer` with a token from
 *   `POST /oauth_token.do` (client_credentials). Anything else: 401 with the Table API's error body.
 * - `/api/now/table/incident` (and `/api/now/v2/...`, `/api/now/v1/...`): list with `sysparm_query` (`=`, `!=`, `LIKE`,
 *   `STARTSWITH`, `^`, `^OR`, `^^` for a literal caret, `ORDERBY`/`ORDERBYDESC`), `sysparm_fields`, `sysparm_limit`,
 *   `sysparm_offset`; v2 answers no match with `{"result":[]}`, v1 with 404. **Unknown fields in a query are ignored**,
 *   as the instance does, so a misspelt field name returns every incident.
 * - Create: 201, `Location`, every field a string; `sys_*` fields cannot be set; `correlation_id` holds 100 characters
 *   and `short_description` 160 (longer values are cut); journal fields (`work_notes`, `comments`) go to the journal.
 * - Update (PATCH/PUT): resolving needs `close_code` and `close_notes` (the data policy); closed incidents are
 *   read-only (ACL). Errors: `{"error":{"message","detail"},"status":"failure"}`.
 * - Approval callbacks: `POST /_standin/incidents/{sys_id|number}/approve` changes the incident as a technician would
 *   and then does what the business rule in docs/ticket-providers.md does: POSTs the incident's JSON, signed the
 *   Standard Webhooks way with `webhook-id` = `sys_id:sys_mod_count`, to the configured callback URL.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { z } from 'zod';

import { signHeaders } from '../../shared/ticketing/standardWebhooks';
import {
  basicCredentials,
  type CallbackControl,
  callbackSchema,
  controlBody,
  controlNotFound,
  deliver,
  type Delivery,
  json,
  parseJson,
  type StandInRequest,
  type StandInResponse,
  type StandInServer,
  startStandInServer,
} from './server';

export interface ServiceNowStandInOptions {
  readonly port?: number;
  readonly host?: string;
  readonly username: string;
  readonly password: string;
  readonly oauth?: { readonly clientId: string; readonly clientSecret: string; readonly tokenLifetimeSeconds?: number };
  /** Where the "business rule" posts approvals, and the whsec_ secret it signs them with. */
  readonly callback?: { readonly url: string; readonly secret: string };
  readonly now?: () => number;
}

export interface ServiceNowStandIn extends StandInServer {
  /** Every incident with its journal, as the control route lists them. */
  incidents(): readonly IncidentRecord[];
  /** Points the business rule at a receiver (npm start does this once the local host has its port). */
  setCallback(callback: { readonly url: string; readonly secret: string } | undefined): void;
}

export interface JournalEntry {
  readonly element: 'work_notes' | 'comments';
  readonly value: string;
  readonly sys_created_on: string;
  readonly sys_created_by: string;
}

export interface IncidentRecord {
  readonly fields: Record<string, string>;
  readonly journal: JournalEntry[];
}

const ERR = (message: string, detail: string | null) => ({ error: { message, detail }, status: 'failure' });
const UNAUTHENTICATED = ERR('User Not Authenticated', 'Required to provide Auth information');

/** Fields of the incident table this stand-in knows; a query on any other field name is ignored, as on an instance. */
const INCIDENT_FIELDS = new Set([
  'sys_id', 'number', 'short_description', 'description', 'state', 'incident_state', 'active', 'urgency', 'impact',
  'priority', 'category', 'subcategory', 'caller_id', 'assignment_group', 'assigned_to', 'correlation_id',
  'correlation_display', 'close_code', 'close_notes', 'resolved_at', 'resolved_by', 'closed_at', 'opened_at',
  'opened_by', 'hold_reason', 'work_notes', 'comments', 'sys_created_on', 'sys_created_by', 'sys_updated_on',
  'sys_updated_by', 'sys_mod_count', 'u_entra_ops_action', 'u_entra_ops_approved_by', 'u_entra_ops_reason',
]); // prettier-ignore
const JOURNAL_FIELDS = new Set(['work_notes', 'comments']);
const MAX_LENGTH: Record<string, number> = { correlation_id: 100, short_description: 160, number: 40 };
/** Priority from impact × urgency, the default lookup rules of the incident table. */
const PRIORITY: Record<string, string> = {
  '11': '1', '12': '2', '13': '3', '21': '2', '22': '3', '23': '4', '31': '3', '32': '4', '33': '5',
}; // prettier-ignore

/** `yyyy-MM-dd HH:mm:ss` in UTC, the instance's internal date-time format. */
export const glideDateTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

type Condition = { field: string; op: '=' | '!=' | 'LIKE' | 'STARTSWITH'; value: string };
interface ParsedQuery {
  /** OR-groups of AND-ed conditions: `a^b^ORc` is a AND (b OR c). */
  readonly and: Condition[][];
  readonly orderBy?: { field: string; desc: boolean };
}

/** Splits an encoded query on `^`, keeping `^^` as a literal caret, and reads each part; unknown fields are dropped. */
export function parseEncodedQuery(query: string): ParsedQuery {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < query.length; i++) {
    if (query[i] === '^' && query[i + 1] === '^') {
      current += '^';
      i++;
    } else if (query[i] === '^') {
      parts.push(current);
      current = '';
    } else current += query[i];
  }
  parts.push(current);
  const and: Condition[][] = [];
  let orderBy: ParsedQuery['orderBy'];
  for (const raw of parts) {
    const isOr = raw.startsWith('OR') && and.length > 0 && !/^ORDERBY/.test(raw);
    const part = isOr ? raw.slice(2) : raw;
    const order = /^ORDERBY(DESC)?(\w+)$/.exec(part);
    if (order) {
      if (INCIDENT_FIELDS.has(order[2]!)) orderBy = { field: order[2]!, desc: order[1] !== undefined };
      continue;
    }
    const cond = /^(\w+?)(!=|=|LIKE|STARTSWITH)(.*)$/s.exec(part);
    // The documented quirk: an invalid part (unknown field, unknown operator) is ignored, not refused.
    if (!cond || !INCIDENT_FIELDS.has(cond[1]!)) continue;
    const condition = { field: cond[1]!, op: cond[2] as Condition['op'], value: cond[3]! };
    if (isOr) and[and.length - 1]!.push(condition);
    else and.push([condition]);
  }
  return orderBy ? { and, orderBy } : { and };
}

const matches = (record: Record<string, string>, c: Condition): boolean => {
  const value = record[c.field] ?? '';
  if (c.op === '=') return value === c.value;
  if (c.op === '!=') return value !== c.value;
  if (c.op === 'LIKE') return value.toLowerCase().includes(c.value.toLowerCase());
  return value.toLowerCase().startsWith(c.value.toLowerCase());
};

const approveSchema = z
  .object({
    action: z.string().trim().min(1).max(100),
    approvedBy: z.string().trim().min(1).max(200).default('itil.approver'),
    reason: z.string().max(4000).default(''),
    state: z.enum(['1', '2', '3', '6', '7', '8']).default('2'),
  })
  .strict();

/** One stand-in's mutable state, handed to the module-level route handlers below. */
interface ServiceNowState {
  readonly options: ServiceNowStandInOptions;
  readonly now: () => number;
  readonly incidents: Map<string, IncidentRecord>;
  readonly tokens: Map<string, number>;
  readonly deliveries: Map<string, Delivery>;
  nextNumber: number;
  callback: ServiceNowStandInOptions['callback'];
}

function authenticatedUser(s: ServiceNowState, req: StandInRequest): string | undefined {
  const basic = basicCredentials(req.headers);
  if (basic) return basic.user === s.options.username && basic.secret === s.options.password ? basic.user : undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const expires = bearer === undefined ? undefined : s.tokens.get(bearer);
  return expires !== undefined && expires > s.now() ? 'oauth.integration' : undefined;
}

const find = (s: ServiceNowState, idOrNumber: string): IncidentRecord | undefined =>
  s.incidents.get(idOrNumber) ?? [...s.incidents.values()].find((r) => r.fields.number === idOrNumber);

function project(record: IncidentRecord, fields: string | null): Record<string, string> {
  const wanted = fields
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!wanted || wanted.length === 0) return { ...record.fields, work_notes: '', comments: '' };
  return Object.fromEntries(wanted.filter((f) => INCIDENT_FIELDS.has(f)).map((f) => [f, record.fields[f] ?? '']));
}

/** A body's settable fields as strings (`sys_*` read-only, unknown fields dropped, long values cut), or the 400. */
function settableValues(body: Record<string, unknown>): { values: Record<string, string> } | { refused: StandInResponse } {
  const values: Record<string, string> = {};
  for (const [field, raw] of Object.entries(body)) {
    if (field.startsWith('sys_') || !INCIDENT_FIELDS.has(field) || raw === null || raw === undefined) continue;
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      return { refused: json(400, ERR('Exception while reading request', `Field ${field} must be a string`)) };
    }
    const value = String(raw);
    values[field] = MAX_LENGTH[field] === undefined ? value : value.slice(0, MAX_LENGTH[field]);
  }
  return { values };
}

/** The incident table's data policy: resolving or closing needs a resolution code and notes. */
function dataPolicyRefusal(record: IncidentRecord, values: Record<string, string>): StandInResponse | undefined {
  const state = values.state ?? record.fields.state;
  if (state !== '6' && state !== '7') return undefined;
  const missing = [
    (values.close_code ?? record.fields.close_code) ? undefined : 'Resolution code',
    (values.close_notes ?? record.fields.close_notes) ? undefined : 'Resolution notes',
  ].filter(Boolean);
  if (missing.length === 0) return undefined;
  return json(403, ERR('Operation Failed', `Data Policy Exception: ${missing.map((m) => `${m} is mandatory`).join(', ')}`));
}

/** Applies a body's fields as the instance does: strings, `sys_*` read-only, unknown fields dropped, journals appended. */
function apply(
  s: ServiceNowState,
  record: IncidentRecord,
  body: Record<string, unknown>,
  user: string,
): StandInResponse | undefined {
  const settable = settableValues(body);
  if ('refused' in settable) return settable.refused;
  const { values } = settable;
  const refused = dataPolicyRefusal(record, values);
  if (refused) return refused;
  const at = glideDateTime(s.now());
  for (const [field, value] of Object.entries(values)) {
    if (JOURNAL_FIELDS.has(field)) {
      if (value.trim() !== '')
        record.journal.push({ element: field as JournalEntry['element'], value, sys_created_on: at, sys_created_by: user });
    } else record.fields[field] = value;
  }
  if (values.state !== undefined) {
    record.fields.incident_state = values.state;
    record.fields.active = values.state === '7' || values.state === '8' ? 'false' : 'true';
    if (values.state === '6') Object.assign(record.fields, { resolved_at: at, resolved_by: user });
    if (values.state === '7') record.fields.closed_at = at;
  }
  record.fields.priority = PRIORITY[`${record.fields.impact}${record.fields.urgency}`] ?? '5';
  record.fields.sys_updated_on = at;
  record.fields.sys_updated_by = user;
  return undefined;
}

const tablePath = /^\/api\/now\/(?:(v[12])\/)?table\/([^/]+)(?:\/([^/]+))?$/;

function api(s: ServiceNowState, req: StandInRequest): StandInResponse {
  if (req.path === '/oauth_token.do') return oauthToken(s, req);
  const match = tablePath.exec(req.path);
  if (!match) return json(400, ERR('Requested URI does not represent any resource', null));
  const user = authenticatedUser(s, req);
  if (!user) return json(401, UNAUTHENTICATED, { 'www-authenticate': 'BASIC realm="Service-now"' });
  const [, version, table, id] = match;
  if (table !== 'incident') return json(400, ERR(`Invalid table ${table}`, null));
  const fields = req.query.get('sysparm_fields');

  if (req.method === 'GET' && id === undefined) return list(s, req, version, fields);
  if (req.method === 'GET') {
    const record = find(s, id!);
    return record ? json(200, { result: project(record, fields) }) : notFound();
  }
  if (req.method === 'POST' && id === undefined) return create(s, req, user, fields);
  if ((req.method === 'PATCH' || req.method === 'PUT') && id !== undefined) return update(s, req, user, id, fields);
  if (req.method === 'DELETE' && id !== undefined) {
    if (!s.incidents.has(id)) return notFound();
    s.incidents.delete(id);
    return json(204);
  }
  return json(405, ERR('Method not Supported', `${req.method} is not supported on this resource`));
}

const notFound = () => json(404, ERR('No Record found', "Record doesn't exist or ACL restricts the record retrieval"));

function list(s: ServiceNowState, req: StandInRequest, version: string | undefined, fields: string | null): StandInResponse {
  const query = parseEncodedQuery(req.query.get('sysparm_query') ?? '');
  let rows = [...s.incidents.values()].filter((r) => query.and.every((group) => group.some((c) => matches(r.fields, c))));
  if (query.orderBy) {
    const { field, desc } = query.orderBy;
    rows = rows.sort((a, b) => (a.fields[field] ?? '').localeCompare(b.fields[field] ?? '') * (desc ? -1 : 1));
  }
  const offset = Math.max(0, Number(req.query.get('sysparm_offset') ?? '0') || 0);
  const limit = Math.max(1, Number(req.query.get('sysparm_limit') ?? '10000') || 10000);
  const page = rows.slice(offset, offset + limit);
  if (page.length === 0 && version === 'v1') {
    return json(404, ERR('No Record found', 'Records matching query not found. Check query parameter or offset parameter'));
  }
  return json(200, { result: page.map((r) => project(r, fields)) }, { 'x-total-count': String(rows.length) });
}

/** A JSON object body, or undefined for anything else (not JSON, an array, a scalar). */
function objectBody(req: StandInRequest): Record<string, unknown> | undefined {
  const body = parseJson(req);
  if (!body.ok || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) return undefined;
  return body.value as Record<string, unknown>;
}

const unreadable = () => json(400, ERR('Exception while reading request', 'The payload is not valid JSON.'));

function newIncident(s: ServiceNowState, user: string): IncidentRecord {
  const at = glideDateTime(s.now());
  return {
    fields: {
      sys_id: randomUUID().replace(/-/g, ''),
      number: `INC${String(s.nextNumber++).padStart(7, '0')}`,
      state: '1',
      incident_state: '1',
      active: 'true',
      urgency: '3',
      impact: '3',
      priority: '5',
      opened_at: at,
      opened_by: user,
      sys_created_on: at,
      sys_created_by: user,
      sys_updated_on: at,
      sys_updated_by: user,
      sys_mod_count: '0',
    },
    journal: [],
  };
}

function create(s: ServiceNowState, req: StandInRequest, user: string, fields: string | null): StandInResponse {
  const body = objectBody(req);
  if (!body) return unreadable();
  const record = newIncident(s, user);
  const sysId = record.fields.sys_id!;
  const refused = apply(s, record, body, user);
  if (refused) return refused;
  record.fields.sys_mod_count = '0';
  s.incidents.set(sysId, record);
  const location = `http://${req.headers.host ?? '127.0.0.1'}/api/now/table/incident/${sysId}`;
  if (/^true$/i.test(req.headers['x-no-response-body'] ?? '')) return json(201, undefined, { location });
  return json(201, { result: project(record, fields) }, { location });
}

function update(s: ServiceNowState, req: StandInRequest, user: string, id: string, fields: string | null): StandInResponse {
  const record = s.incidents.get(id);
  if (!record) return notFound();
  const body = objectBody(req);
  if (!body) return unreadable();
  if (record.fields.state === '7' || record.fields.state === '8') {
    return json(403, ERR('Operation Failed', 'ACL Exception Update Failed due to security constraints'));
  }
  const refused = apply(s, record, body, user);
  if (refused) return refused;
  record.fields.sys_mod_count = String(Number(record.fields.sys_mod_count ?? '0') + 1);
  return json(200, { result: project(record, fields) });
}

function oauthToken(s: ServiceNowState, req: StandInRequest): StandInResponse {
  if (req.method !== 'POST') return json(405, ERR('Method not Supported', null));
  const form = new URLSearchParams(req.rawBody);
  if (form.get('grant_type') !== 'client_credentials') {
    return json(400, { error_description: 'Unsupported grant type', error: 'unsupported_grant_type' });
  }
  const o = s.options.oauth;
  if (!o || form.get('client_id') !== o.clientId || form.get('client_secret') !== o.clientSecret) {
    return json(401, { error_description: 'access_denied', error: 'server_error' });
  }
  const token = randomBytes(32).toString('base64url');
  const lifetime = o.tokenLifetimeSeconds ?? 1799;
  s.tokens.set(token, s.now() + lifetime * 1000);
  return json(200, { access_token: token, scope: 'useraccount', token_type: 'Bearer', expires_in: lifetime });
}

/** The payload the business rule in docs/ticket-providers.md sends, every value a string as getValue() returns. */
const businessRulePayload = (record: IncidentRecord, previousState: string) => ({
  sys_id: record.fields.sys_id!,
  number: record.fields.number!,
  state: record.fields.state!,
  previous_state: previousState,
  sys_mod_count: record.fields.sys_mod_count!,
  sys_updated_on: record.fields.sys_updated_on!,
  correlation_id: record.fields.correlation_id ?? '',
  action: record.fields.u_entra_ops_action ?? '',
  approved_by: record.fields.u_entra_ops_approved_by ?? '',
  reason: record.fields.u_entra_ops_reason ?? '',
});

/** Changes the incident as an approving technician would, then runs the business rule's signed POST. */
async function approve(s: ServiceNowState, req: StandInRequest, record: IncidentRecord): Promise<StandInResponse> {
  const parsed = controlBody(req, approveSchema, 'InvalidApproval');
  if ('refused' in parsed) return parsed.refused;
  const { action, approvedBy, reason, state } = parsed.value;
  const previousState = record.fields.state!;
  const refused = apply(
    s,
    record,
    {
      state,
      u_entra_ops_action: action,
      u_entra_ops_approved_by: approvedBy,
      u_entra_ops_reason: reason,
      work_notes: `Approved remediation '${action}' (${approvedBy})${reason ? `: ${reason}` : ''}`,
    },
    approvedBy,
  );
  if (refused) return refused;
  record.fields.sys_mod_count = String(Number(record.fields.sys_mod_count ?? '0') + 1);
  const target = s.callback;
  if (!target) return json(200, { incident: record, delivery: null });
  const payload = JSON.stringify(businessRulePayload(record, previousState));
  // Fixed now: later work notes bump sys_mod_count, and a redelivery must carry the id the first attempt had.
  const id = `${record.fields.sys_id}:${record.fields.sys_mod_count}`;
  const delivery: Delivery = {
    id,
    url: target.url,
    body: payload,
    attempts: 0,
    headersFor: () => signHeaders(target.secret, id, payload),
  };
  s.deliveries.set(delivery.id, delivery);
  return json(200, { incident: record, delivery: await deliver(delivery) });
}

/** This stand-in's own control routes; faults, stats, callback and deliveries are the shared server's. */
async function control(s: ServiceNowState, req: StandInRequest): Promise<StandInResponse | undefined> {
  if (req.path === '/_standin/incidents' && req.method === 'GET') return json(200, { value: [...s.incidents.values()] });
  if (req.path === '/_standin/reset' && req.method === 'POST') {
    s.incidents.clear();
    s.deliveries.clear();
    s.tokens.clear();
    s.nextNumber = 10001;
    return json(204);
  }
  const approveMatch = /^\/_standin\/incidents\/([^/]+)\/approve$/.exec(req.path);
  if (approveMatch && req.method === 'POST') {
    const record = find(s, decodeURIComponent(approveMatch[1]!));
    return record ? approve(s, req, record) : controlNotFound(`No incident ${approveMatch[1]}`);
  }
  return undefined;
}

/** The business rule signs with a Standard Webhooks secret, so the callback must come with a `whsec_` one. */
const callbackControl = (s: ServiceNowState): CallbackControl<{ url: string; secret: string }> => ({
  schema: callbackSchema.extend({ secret: z.string().startsWith('whsec_') }),
  set: (target) => {
    s.callback = target;
  },
});

const faultBody = (status: number): unknown =>
  status === 401
    ? UNAUTHENTICATED
    : status === 429
      ? ERR('Rate limit exceeded', 'Too many requests for this user; retry after the interval in Retry-After')
      : status === 413
        ? ERR('Request entity too large', null)
        : ERR('Internal server error', `Injected fault ${status}`);

export async function startServiceNowStandIn(options: ServiceNowStandInOptions): Promise<ServiceNowStandIn> {
  const s: ServiceNowState = {
    options,
    now: options.now ?? Date.now,
    incidents: new Map(),
    tokens: new Map(),
    deliveries: new Map(),
    nextNumber: 10001,
    callback: options.callback,
  };
  const server = await startStandInServer(
    {
      name: 'ServiceNow',
      api: (req) => api(s, req),
      control: (req) => control(s, req),
      faultBody,
      deliveries: s.deliveries,
      callback: callbackControl(s),
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );
  return {
    ...server,
    incidents: () => [...s.incidents.values()],
    setCallback: (next) => {
      s.callback = next;
    },
  };
}
