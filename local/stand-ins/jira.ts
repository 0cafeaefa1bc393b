/**
 * Jira Cloud stand-in: the part of REST v3 entra-ops uses, as documented (fidelity notes in FIDELITY.md).
 *
 * - Auth: Basic `email:api_token` for the configured account; otherwise 401.
 * - `POST /rest/api/3/issue`: project, issue type and summary required, `description` must be an ADF document, labels
 *   without spaces; 201 `{id,key,self}`; 400 `{"errorMessages":[],"errors":{field:msg}}`.
 * - `GET|POST /rest/api/3/search/jql`: a JQL subset (`=`, `!=`, `in`, `AND`, `ORDER BY`; fields project, labels,
 *   status, key, issuetype), `nextPageToken` paging without `total`, ids only unless `fields` are asked for, and
 *   `reconcileIssues`. Eventual consistency can be switched on: new issues stay out of search results until
 *   `POST /_standin/index` (or until named in `reconcileIssues`). The old `/rest/api/{2,3}/search` answers 410.
 * - Comments (ADF), transitions (GET list, POST 204 with an optional comment in `update`), `GET /issue/{key}`,
 *   `GET /project/{key}`, `GET /myself`.
 * - Approval callbacks: `POST /_standin/issues/{key}/approve` transitions the issue to the approval status, sets the
 *   action field and comments the reason, then sends the `jira:issue_updated` webhook with its changelog, signed
 *   `X-Hub-Signature: sha256=<hex>` and identified by `X-Atlassian-Webhook-Identifier` (stable across redeliveries).
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { signHub } from '../../shared/ticketing/hubSignature';
import {
  basicCredentials,
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

export interface JiraStandInOptions {
  readonly port?: number;
  readonly host?: string;
  readonly email: string;
  readonly apiToken: string;
  readonly projectKey?: string;
  /** Where approval webhooks go, and the secret of their X-Hub-Signature (none: unsigned, as Jira sends them). */
  readonly callback?: { readonly url: string; readonly secret?: string };
  /** Custom field that names the remediation action on approval. */
  readonly actionFieldId?: string;
  readonly eventualConsistency?: boolean;
  readonly now?: () => number;
}

export interface JiraComment {
  readonly id: string;
  readonly body: unknown;
  readonly author: string;
  readonly created: string;
}

export interface JiraIssue {
  readonly id: string;
  readonly key: string;
  readonly fields: Record<string, unknown> & { summary: string; labels: string[]; status: Status };
  readonly comments: JiraComment[];
  indexed: boolean;
}

interface Status {
  readonly id: string;
  readonly name: string;
  readonly statusCategory: { readonly id: number; readonly key: 'new' | 'indeterminate' | 'done'; readonly name: string };
}

export interface JiraStandIn extends StandInServer {
  issues(): readonly JiraIssue[];
  /** Points the webhook at a receiver (npm start does this once the local host has its port). */
  setCallback(callback: { readonly url: string; readonly secret?: string } | undefined): void;
}

const STATUSES: Record<string, Status> = {
  todo: { id: '10000', name: 'To Do', statusCategory: { id: 2, key: 'new', name: 'To Do' } },
  progress: { id: '3', name: 'In Progress', statusCategory: { id: 4, key: 'indeterminate', name: 'In Progress' } },
  approved: { id: '10001', name: 'Approved', statusCategory: { id: 4, key: 'indeterminate', name: 'In Progress' } },
  done: { id: '10002', name: 'Done', statusCategory: { id: 3, key: 'done', name: 'Done' } },
};
/** The stand-in project's workflow: every status reachable from every other, as in a simplified team-managed project. */
const TRANSITIONS = [
  { id: '11', name: 'To Do', to: STATUSES.todo! },
  { id: '21', name: 'In Progress', to: STATUSES.progress! },
  { id: '31', name: 'Approve', to: STATUSES.approved! },
  { id: '41', name: 'Done', to: STATUSES.done! },
];
const ISSUE_TYPES = [
  { id: '10001', name: 'Task' },
  { id: '10002', name: 'Bug' },
  { id: '10003', name: 'Story' },
];
const JQL_FIELDS = new Set(['project', 'labels', 'status', 'key', 'issuetype']);

const errors = (errorMessages: string[], fieldErrors: Record<string, string> = {}) => ({ errorMessages, errors: fieldErrors });
const NOT_FOUND = errors(['Issue does not exist or you do not have permission to see it.']);

/** Structural ADF check: a `doc` of version 1 whose nodes all have a type and whose text nodes are non-empty. */
export function isAdfDocument(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as { type?: unknown; version?: unknown; content?: unknown };
  if (doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return false;
  const nodeOk = (node: unknown, depth: number): boolean => {
    if (depth > 50 || typeof node !== 'object' || node === null) return false;
    const n = node as { type?: unknown; text?: unknown; content?: unknown };
    if (typeof n.type !== 'string') return false;
    if (n.type === 'text' && (typeof n.text !== 'string' || n.text.length === 0)) return false;
    return n.content === undefined || (Array.isArray(n.content) && n.content.every((c) => nodeOk(c, depth + 1)));
  };
  return doc.content.every((c) => nodeOk(c, 1));
}

type Clause = { field: string; op: '=' | '!=' | 'in'; values: string[] };

/** The JQL subset; throws a message in Jira's words for anything else. */
export function parseJql(jql: string): { clauses: Clause[]; orderBy?: { field: string; desc: boolean } } {
  const tokens = jql.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|!=|[=(),]|[^\s=(),!"']+/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const unquote = (t: string) => (/^["']/.test(t) ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t);
  const clauses: Clause[] = [];
  let orderBy: { field: string; desc: boolean } | undefined;
  while (i < tokens.length) {
    const field = next()!;
    if (/^order$/i.test(field)) {
      if (!/^by$/i.test(next() ?? '')) throw new Error("Error in the JQL Query: Expecting 'by' after 'order'.");
      const by = next();
      if (!by) throw new Error('Error in the JQL Query: Expecting a field name after ORDER BY.');
      const dir = tokens[i];
      if (dir && /^(asc|desc)$/i.test(dir)) i++;
      orderBy = { field: by.toLowerCase(), desc: /^desc$/i.test(dir ?? '') };
      continue;
    }
    const name = unquote(field).toLowerCase();
    if (!JQL_FIELDS.has(name) && !['created', 'updated'].includes(name)) {
      throw new Error(`Field '${unquote(field)}' does not exist or you do not have permission to view it.`);
    }
    const op = next()?.toLowerCase();
    if (op !== '=' && op !== '!=' && op !== 'in')
      throw new Error(`Error in the JQL Query: Expecting operator but got '${op ?? 'end of query'}'.`);
    const values: string[] = [];
    if (op === 'in') {
      if (next() !== '(') throw new Error("Error in the JQL Query: Expecting '(' after 'in'.");
      for (let t = next(); t !== ')'; t = next()) {
        if (t === undefined) throw new Error("Error in the JQL Query: Expecting ')' before the end of the query.");
        if (t !== ',') values.push(unquote(t));
      }
    } else {
      const value = next();
      if (value === undefined)
        throw new Error('Error in the JQL Query: Expecting either a value, list or function but got end of query.');
      values.push(unquote(value));
    }
    clauses.push({ field: name, op, values });
    const joiner = tokens[i];
    if (joiner && /^and$/i.test(joiner)) i++;
    else if (joiner && !/^order$/i.test(joiner))
      throw new Error(`Error in the JQL Query: Expecting 'AND' or 'ORDER BY' but got '${joiner}'.`);
  }
  return orderBy ? { clauses, orderBy } : { clauses };
}

const approveSchema = z
  .object({
    action: z.string().trim().min(1).max(100),
    approvedBy: z.string().trim().min(1).max(200).default('Helpdesk Approver'),
    reason: z.string().max(4000).default(''),
    status: z.string().trim().min(1).default('Approved'),
  })
  .strict();

/** One stand-in's mutable state, handed to the module-level route handlers below. */
interface JiraState {
  readonly options: JiraStandInOptions;
  readonly now: () => number;
  readonly project: { readonly id: string; readonly key: string; readonly name: string };
  readonly actionFieldId: string;
  readonly issues: Map<string, JiraIssue>;
  readonly deliveries: Map<string, Delivery>;
  eventual: boolean;
  callback: JiraStandInOptions['callback'];
  nextId: number;
  nextNumber: number;
  nextComment: number;
  nextChangelog: number;
  baseUrl: string;
}

type JiraProject = JiraState['project'];

const iso = (s: JiraState) => new Date(s.now()).toISOString().replace('Z', '+0000');
const find = (s: JiraState, idOrKey: string) =>
  s.issues.get(idOrKey.toUpperCase()) ?? [...s.issues.values()].find((i) => i.id === idOrKey);
const self = (s: JiraState, issue: JiraIssue, version = 3) => `${s.baseUrl}/rest/api/${version}/issue/${issue.id}`;
const user = (s: JiraState, displayName: string) => ({
  self: `${s.baseUrl}/rest/api/3/user?accountId=5b10a2844c20165700ede21g`,
  accountId: '5b10a2844c20165700ede21g',
  displayName,
  active: true,
  timeZone: 'UTC',
  accountType: 'atlassian',
});

function authenticated(s: JiraState, req: StandInRequest): boolean {
  const basic = basicCredentials(req.headers);
  return basic !== undefined && basic.user === s.options.email && basic.secret === s.options.apiToken;
}

function fieldsOf(s: JiraState, issue: JiraIssue, wanted: string[] | undefined): Record<string, unknown> {
  const all: Record<string, unknown> = {
    ...issue.fields,
    project: s.project,
    comment: { comments: issue.comments, total: issue.comments.length },
  };
  if (!wanted || wanted.includes('*all')) return all;
  return Object.fromEntries(wanted.filter((f) => f !== 'key' && f in all).map((f) => [f, all[f]]));
}

const UNAUTHENTICATED = errors(['You are not authenticated. Authentication required to perform this operation.']);
const SEARCH_REMOVED = errors([
  'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
]);
const INVALID_COMMENT = errors([], { comment: 'Comment body is not a valid Atlassian Document.' });

function api(s: JiraState, req: StandInRequest): StandInResponse {
  if (!authenticated(s, req)) return json(401, UNAUTHENTICATED);
  const { method, path } = req;
  if (/^\/rest\/api\/[23]\/search$/.test(path)) return json(410, SEARCH_REMOVED);
  if (path === '/rest/api/3/myself' && method === 'GET')
    return json(200, { ...user(s, 'entra-ops integration'), emailAddress: s.options.email });
  const projectMatch = /^\/rest\/api\/3\/project\/([^/]+)$/.exec(path);
  if (projectMatch && method === 'GET') {
    const key = decodeURIComponent(projectMatch[1]!);
    return key === s.project.key || key === s.project.id
      ? json(200, { ...s.project, self: `${s.baseUrl}/rest/api/3/project/${s.project.id}`, issueTypes: ISSUE_TYPES })
      : json(404, errors([`No project could be found with key '${key}'.`]));
  }
  if (path === '/rest/api/3/search/jql' && (method === 'GET' || method === 'POST')) return search(s, req);
  if (path === '/rest/api/3/issue' && method === 'POST') return create(s, req);
  const issueMatch = /^\/rest\/api\/3\/issue\/([^/]+)(\/comment|\/transitions)?$/.exec(path);
  if (issueMatch) {
    const issue = find(s, decodeURIComponent(issueMatch[1]!));
    if (!issue) return json(404, NOT_FOUND);
    const out = issueRoute(s, req, issue, issueMatch[2]);
    if (out) return out;
  }
  return json(404, errors([`No API route ${method} ${path} in the Jira stand-in.`]));
}

/** `/issue/{key}`, its `/comment` and its `/transitions`; undefined for a method none of them has. */
function issueRoute(s: JiraState, req: StandInRequest, issue: JiraIssue, sub: string | undefined) {
  const { method } = req;
  if (sub === undefined && method === 'GET') {
    const wanted = req.query
      .get('fields')
      ?.split(',')
      .map((f) => f.trim());
    return json(200, { id: issue.id, key: issue.key, self: self(s, issue), fields: fieldsOf(s, issue, wanted) });
  }
  if (sub === '/comment' && method === 'POST') {
    const body = parseJson(req);
    const value = body.ok ? (body.value as { body?: unknown } | null) : null;
    if (!value || !isAdfDocument(value.body)) return json(400, INVALID_COMMENT);
    return json(201, addComment(s, issue, value.body, 'entra-ops integration'));
  }
  if (sub === '/comment' && method === 'GET') {
    return json(200, {
      startAt: 0,
      maxResults: 5000,
      total: issue.comments.length,
      comments: issue.comments.map((c) => commentJson(s, issue, c)),
    });
  }
  if (sub === '/transitions' && method === 'GET') return json(200, availableTransitions(issue));
  if (sub === '/transitions' && method === 'POST') return transition(s, req, issue);
  return undefined;
}

const availableTransitions = (issue: JiraIssue) => ({
  expand: 'transitions',
  transitions: TRANSITIONS.filter((t) => t.to.id !== issue.fields.status.id).map((t) => ({
    ...t,
    hasScreen: false,
    isGlobal: true,
    isInitial: false,
    isAvailable: true,
    isConditional: false,
    isLooped: false,
  })),
});

const commentJson = (s: JiraState, issue: JiraIssue, c: JiraComment) => ({
  id: c.id,
  self: `${self(s, issue)}/comment/${c.id}`,
  author: user(s, c.author),
  body: c.body,
  created: c.created,
  updated: c.created,
  jsdPublic: true,
});

function addComment(s: JiraState, issue: JiraIssue, body: unknown, author: string) {
  const comment: JiraComment = { id: String(s.nextComment++), body, author, created: iso(s) };
  issue.comments.push(comment);
  issue.fields.updated = comment.created;
  return commentJson(s, issue, comment);
}

/** The field errors Jira answers a create with; empty when the fields are acceptable. */
function createFieldErrors(project: JiraProject, fields: Record<string, unknown>): Record<string, string> {
  const fieldErrors: Record<string, string> = {};
  const p = fields.project as { key?: unknown; id?: unknown } | undefined;
  if (!p || (p.key !== project.key && p.id !== project.id)) fieldErrors.project = 'valid project is required';
  if (!issueTypeOf(fields)) fieldErrors.issuetype = 'valid issue type is required';
  const summary = fields.summary;
  if (typeof summary !== 'string' || summary.trim() === '') fieldErrors.summary = 'You must specify a summary of the issue.';
  else if (summary.length > 255) fieldErrors.summary = 'Summary must be less than 255 characters.';
  else if (/[\r\n]/.test(summary)) fieldErrors.summary = 'The summary is invalid because it contains newline characters.';
  if (fields.description !== undefined && !isAdfDocument(fields.description)) {
    fieldErrors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
  }
  const labels = fields.labels ?? [];
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string' || l.length > 255))
    fieldErrors.labels = 'Labels must be a list of strings.';
  else {
    const spaced = (labels as string[]).find((l) => /\s/.test(l));
    if (spaced !== undefined) fieldErrors.labels = `The label '${spaced}' contains spaces which is invalid.`;
  }
  return fieldErrors;
}

function issueTypeOf(fields: Record<string, unknown>) {
  const t = fields.issuetype as { name?: unknown; id?: unknown } | undefined;
  return ISSUE_TYPES.find((it) => it.id === t?.id || it.name === t?.name);
}

function create(s: JiraState, req: StandInRequest): StandInResponse {
  const body = parseJson(req);
  if (!body.ok) return json(400, errors([`Unexpected character in the request body: ${body.message}`]));
  const fields = (body.value as { fields?: Record<string, unknown> } | null)?.fields;
  if (!fields || typeof fields !== 'object') return json(400, errors(['Request body is missing the fields object.']));
  const fieldErrors = createFieldErrors(s.project, fields);
  if (Object.keys(fieldErrors).length > 0) return json(400, errors([], fieldErrors));
  const id = String(s.nextId++);
  const key = `${s.project.key}-${s.nextNumber++}`;
  const created = iso(s);
  const issue: JiraIssue = {
    id,
    key,
    fields: {
      summary: fields.summary as string,
      description: fields.description ?? null,
      labels: [...new Set((fields.labels ?? []) as string[])],
      status: STATUSES.todo!,
      issuetype: issueTypeOf(fields),
      created,
      updated: created,
      [s.actionFieldId]: null,
    },
    comments: [],
    indexed: !s.eventual,
  };
  s.issues.set(key, issue);
  return json(201, { id, key, self: self(s, issue) });
}

type Jql = ReturnType<typeof parseJql>;

interface SearchParams {
  jql?: unknown;
  maxResults?: unknown;
  nextPageToken?: unknown;
  fields?: unknown;
  reconcileIssues?: unknown;
}

/** The search's parameters from the POST body or the GET query, or the 400 for a body that is not an object. */
function searchParams(req: StandInRequest): { params: SearchParams } | { refused: StandInResponse } {
  if (req.method === 'POST') {
    const body = parseJson(req);
    if (!body.ok || typeof body.value !== 'object' || body.value === null)
      return {
        refused: json(400, errors(['Invalid request payload. Refer to the REST API documentation and try again.'])),
      };
    return { params: body.value };
  }
  const params: SearchParams = {
    jql: req.query.get('jql') ?? undefined,
    maxResults: req.query.get('maxResults') ?? undefined,
    nextPageToken: req.query.get('nextPageToken') ?? undefined,
    fields: req.query.get('fields')?.split(','),
    reconcileIssues: req.query.getAll('reconcileIssues').map(Number),
  };
  return { params };
}

/** The parsed JQL, or the 400 Jira answers for an empty query, a parse error or a project it does not have. */
function searchQuery(project: JiraProject, jql: unknown): { query: Jql } | { refused: StandInResponse } {
  const refuse = (message: string) => ({ refused: json(400, errors([message])) });
  if (typeof jql !== 'string' || jql.trim() === '') {
    return refuse('Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  }
  let query: Jql;
  try {
    query = parseJql(jql);
  } catch (e) {
    return refuse(e instanceof Error ? e.message : String(e));
  }
  for (const c of query.clauses) {
    if (c.field === 'project' && c.values.some((v) => v !== project.key && v !== project.id)) {
      return refuse(`The value '${c.values.find((v) => v !== project.key)}' does not exist for the field 'project'.`);
    }
  }
  return { query };
}

function jqlValues(project: JiraProject, issue: JiraIssue, field: string): string[] {
  if (field === 'project') return [project.key, project.id];
  if (field === 'labels') return issue.fields.labels;
  if (field === 'status') return [issue.fields.status.name, issue.fields.status.id];
  if (field === 'key') return [issue.key, issue.id];
  if (field === 'issuetype') return [(issue.fields.issuetype as { name: string }).name];
  const value = issue.fields[field];
  return [typeof value === 'string' ? value : ''];
}

/** Indexed issues (and those named in `reconcileIssues`) that match every clause, in the query's order. */
function searchRows(s: JiraState, query: Jql, reconcile: ReadonlySet<string>): JiraIssue[] {
  const lower = (values: string[]) => values.map((v) => v.toLowerCase());
  const rows = [...s.issues.values()].filter(
    (issue) =>
      (issue.indexed || reconcile.has(issue.id)) &&
      query.clauses.every((c) => {
        const have = lower(jqlValues(s.project, issue, c.field));
        const hit = lower(c.values).some((v) => have.includes(v));
        return c.op === '!=' ? !hit : hit;
      }),
  );
  const order = query.orderBy ?? { field: 'key', desc: true };
  return rows.sort((a, b) => (Number(a.id) - Number(b.id)) * (order.desc ? -1 : 1));
}

/** The offset a `nextPageToken` stands for (0 without one), or undefined when it is not one this stand-in issued. */
function pageOffset(token: unknown): number | undefined {
  if (token === undefined) return 0;
  const decoded = typeof token === 'string' ? Number(Buffer.from(token, 'base64url').toString()) : NaN;
  return Number.isInteger(decoded) && decoded >= 0 ? decoded : undefined;
}

function search(s: JiraState, req: StandInRequest): StandInResponse {
  const read = searchParams(req);
  if ('refused' in read) return read.refused;
  const { jql, maxResults, nextPageToken, reconcileIssues, fields: wanted } = read.params;
  const parsed = searchQuery(s.project, jql);
  if ('refused' in parsed) return parsed.refused;
  const { query } = parsed;
  const reconcile = new Set(Array.isArray(reconcileIssues) ? reconcileIssues.map(String) : []);
  if (reconcile.size > 50) return json(400, errors(['reconcileIssues accepts at most 50 issue ids.']));
  const rows = searchRows(s, query, reconcile);
  const offset = pageOffset(nextPageToken);
  if (offset === undefined) return json(400, errors(['The nextPageToken is invalid or has expired.']));
  const max = Math.min(100, Math.max(1, Number(maxResults ?? 50) || 50));
  const page = rows.slice(offset, offset + max);
  const fields = Array.isArray(wanted) ? wanted.map(String) : typeof wanted === 'string' ? wanted.split(',') : undefined;
  const more = offset + max < rows.length;
  return json(200, {
    issues: page.map((issue) =>
      fields && fields.length > 0
        ? { id: issue.id, key: issue.key, self: self(s, issue), fields: fieldsOf(s, issue, fields) }
        : { id: issue.id },
    ),
    ...(more ? { nextPageToken: Buffer.from(String(offset + max)).toString('base64url') } : {}),
    isLast: !more,
  });
}

function transition(s: JiraState, req: StandInRequest, issue: JiraIssue): StandInResponse {
  const body = parseJson(req);
  const value = body.ok ? (body.value as { transition?: { id?: unknown }; update?: { comment?: unknown } } | null) : null;
  const id = value?.transition?.id;
  const target = TRANSITIONS.find((t) => t.id === String(id) && t.to.id !== issue.fields.status.id);
  if (!target) return json(400, errors([`Transition id '${String(id)}' is not valid for this issue.`]));
  const comments = Array.isArray(value?.update?.comment) ? (value.update.comment as { add?: { body?: unknown } }[]) : [];
  if (comments.some((c) => !isAdfDocument(c.add?.body))) return json(400, INVALID_COMMENT);
  issue.fields.status = target.to;
  issue.fields.updated = iso(s);
  if (target.to.statusCategory.key === 'done') issue.fields.resolutiondate = issue.fields.updated;
  for (const c of comments) addComment(s, issue, c.add!.body, 'entra-ops integration');
  return json(204);
}

interface Approval {
  readonly issue: JiraIssue;
  readonly from: Status;
  readonly to: Status;
  readonly action: string;
  readonly approvedBy: string;
  readonly reason: string;
  readonly comment: ReturnType<typeof commentJson> | undefined;
}

/** The `jira:issue_updated` webhook body for an approval, with its changelog. */
function approvalWebhook(s: JiraState, a: Approval): string {
  const { issue } = a;
  return JSON.stringify({
    timestamp: s.now(),
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: user(s, a.approvedBy),
    // Webhook payloads carry the v2 representation: issue.self points at /rest/api/2/, comment bodies are text.
    issue: { id: issue.id, key: issue.key, self: self(s, issue, 2), fields: { ...issue.fields, project: s.project } },
    changelog: {
      id: String(s.nextChangelog++),
      items: [
        {
          field: 'status',
          fieldtype: 'jira',
          fieldId: 'status',
          from: a.from.id,
          fromString: a.from.name,
          to: a.to.id,
          toString: a.to.name,
        },
        {
          field: 'Remediation action',
          fieldtype: 'custom',
          fieldId: s.actionFieldId,
          from: null,
          fromString: null,
          to: '10100',
          toString: a.action,
        },
      ],
    },
    ...(a.comment ? { comment: { ...a.comment, self: `${self(s, issue, 2)}/comment/${a.comment.id}`, body: a.reason } } : {}),
    matchedWebhookIds: [1],
  });
}

/** A webhook delivery as Jira sends it: a fresh identifier kept across retries, signed when a secret is set. */
function jiraDelivery(target: { readonly url: string; readonly secret?: string }, payload: string): Delivery {
  const id = randomUUID();
  return {
    id,
    url: target.url,
    body: payload,
    attempts: 0,
    headersFor: (attempt) => ({
      'x-atlassian-webhook-identifier': id,
      'x-atlassian-webhook-flow': 'Primary',
      ...(attempt > 1 ? { 'x-atlassian-webhook-retry': String(attempt - 1) } : {}),
      ...(target.secret ? { 'x-hub-signature': signHub(target.secret, payload) } : {}),
    }),
  };
}

async function approve(s: JiraState, req: StandInRequest, issue: JiraIssue): Promise<StandInResponse> {
  const parsed = controlBody(req, approveSchema, 'InvalidApproval');
  if ('refused' in parsed) return parsed.refused;
  const { action, approvedBy, reason, status } = parsed.value;
  const to = Object.values(STATUSES).find((st) => st.name.toLowerCase() === status.toLowerCase());
  if (!to) return json(400, { error: { code: 'InvalidApproval', message: `No status '${status}' in the stand-in workflow` } });
  const from = issue.fields.status;
  issue.fields.status = to;
  issue.fields[s.actionFieldId] = { self: `${s.baseUrl}/rest/api/3/customFieldOption/10100`, value: action, id: '10100' };
  issue.fields.updated = iso(s);
  const adf = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: reason }] }] };
  const comment = reason ? addComment(s, issue, adf, approvedBy) : undefined;
  const target = s.callback;
  if (!target) return json(200, { issue, delivery: null });
  const payload = approvalWebhook(s, { issue, from, to, action, approvedBy, reason, comment });
  const delivery = jiraDelivery(target, payload);
  s.deliveries.set(delivery.id, delivery);
  return json(200, { issue, delivery: await deliver(delivery) });
}

/** This stand-in's own control routes; faults, stats, callback and deliveries are the shared server's. */
async function control(s: JiraState, req: StandInRequest): Promise<StandInResponse | undefined> {
  if (req.path === '/_standin/issues' && req.method === 'GET') return json(200, { value: [...s.issues.values()] });
  if (req.path === '/_standin/reset' && req.method === 'POST') {
    s.issues.clear();
    s.deliveries.clear();
    s.nextNumber = 1;
    return json(204);
  }
  if (req.path === '/_standin/consistency' && req.method === 'POST') {
    const parsed = controlBody(req, z.object({ eventual: z.boolean() }).strict(), 'InvalidConsistency');
    if ('refused' in parsed) return parsed.refused;
    s.eventual = parsed.value.eventual;
    return json(200, { eventual: s.eventual });
  }
  if (req.path === '/_standin/index' && req.method === 'POST') {
    for (const issue of s.issues.values()) issue.indexed = true;
    return json(204);
  }
  const approveMatch = /^\/_standin\/issues\/([^/]+)\/approve$/.exec(req.path);
  if (approveMatch && req.method === 'POST') {
    const issue = find(s, decodeURIComponent(approveMatch[1]!));
    return issue ? approve(s, req, issue) : controlNotFound(`No issue ${approveMatch[1]}`);
  }
  return undefined;
}

const faultBody = (status: number): unknown =>
  status === 401
    ? UNAUTHENTICATED
    : status === 429
      ? errors(['Rate limit exceeded.'])
      : errors([`Internal server error (injected fault ${status}).`]);

export async function startJiraStandIn(options: JiraStandInOptions): Promise<JiraStandIn> {
  const s: JiraState = {
    options,
    now: options.now ?? Date.now,
    project: { id: '10000', key: options.projectKey ?? 'SEC', name: 'Security Operations' },
    actionFieldId: options.actionFieldId ?? 'customfield_10050',
    issues: new Map(),
    deliveries: new Map(),
    eventual: options.eventualConsistency ?? false,
    callback: options.callback,
    nextId: 10000,
    nextNumber: 1,
    nextComment: 10000,
    nextChangelog: 10000,
    baseUrl: '',
  };
  const server = await startStandInServer(
    {
      name: 'Jira',
      api: (req) => api(s, req),
      control: (req) => control(s, req),
      faultBody,
      deliveries: s.deliveries,
      callback: {
        schema: callbackSchema.partial({ secret: true }),
        set: (target) => {
          s.callback = target;
        },
      },
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );
  s.baseUrl = server.url;
  return {
    ...server,
    issues: () => [...s.issues.values()],
    setCallback: (next) => {
      s.callback = next;
    },
  };
}
