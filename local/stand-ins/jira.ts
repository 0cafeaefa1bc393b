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

export async function startJiraStandIn(options: JiraStandInOptions): Promise<JiraStandIn> {
  const now = options.now ?? Date.now;
  const projectKey = options.projectKey ?? 'SEC';
  const project = { id: '10000', key: projectKey, name: 'Security Operations' };
  const actionFieldId = options.actionFieldId ?? 'customfield_10050';
  const issues = new Map<string, JiraIssue>();
  const deliveries = new Map<string, Delivery>();
  let eventual = options.eventualConsistency ?? false;
  let callback = options.callback;
  let nextId = 10000;
  let nextNumber = 1;
  let nextComment = 10000;
  let nextChangelog = 10000;
  let baseUrl = '';

  const iso = () => new Date(now()).toISOString().replace('Z', '+0000');
  const find = (idOrKey: string) => issues.get(idOrKey.toUpperCase()) ?? [...issues.values()].find((i) => i.id === idOrKey);
  const self = (issue: JiraIssue, version = 3) => `${baseUrl}/rest/api/${version}/issue/${issue.id}`;
  const user = (displayName: string) => ({
    self: `${baseUrl}/rest/api/3/user?accountId=5b10a2844c20165700ede21g`,
    accountId: '5b10a2844c20165700ede21g',
    displayName,
    active: true,
    timeZone: 'UTC',
    accountType: 'atlassian',
  });

  const authenticated = (req: StandInRequest) => {
    const basic = basicCredentials(req.headers);
    return basic !== undefined && basic.user === options.email && basic.secret === options.apiToken;
  };

  const fieldsOf = (issue: JiraIssue, wanted: string[] | undefined) => {
    const all: Record<string, unknown> = {
      ...issue.fields,
      project,
      comment: { comments: issue.comments, total: issue.comments.length },
    };
    if (!wanted || wanted.includes('*all')) return all;
    return Object.fromEntries(wanted.filter((f) => f !== 'key' && f in all).map((f) => [f, all[f]]));
  };

  const api = (req: StandInRequest): StandInResponse => {
    if (!authenticated(req))
      return json(401, errors(['You are not authenticated. Authentication required to perform this operation.']));
    const { method, path } = req;
    if (/^\/rest\/api\/[23]\/search$/.test(path)) {
      return json(
        410,
        errors([
          'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
        ]),
      );
    }
    if (path === '/rest/api/3/myself' && method === 'GET')
      return json(200, { ...user('entra-ops integration'), emailAddress: options.email });
    const projectMatch = /^\/rest\/api\/3\/project\/([^/]+)$/.exec(path);
    if (projectMatch && method === 'GET') {
      const key = decodeURIComponent(projectMatch[1]!);
      return key === project.key || key === project.id
        ? json(200, { ...project, self: `${baseUrl}/rest/api/3/project/${project.id}`, issueTypes: ISSUE_TYPES })
        : json(404, errors([`No project could be found with key '${key}'.`]));
    }
    if (path === '/rest/api/3/search/jql' && (method === 'GET' || method === 'POST')) return search(req);
    if (path === '/rest/api/3/issue' && method === 'POST') return create(req);
    const issueMatch = /^\/rest\/api\/3\/issue\/([^/]+)(\/comment|\/transitions)?$/.exec(path);
    if (issueMatch) {
      const issue = find(decodeURIComponent(issueMatch[1]!));
      if (!issue) return json(404, NOT_FOUND);
      const sub = issueMatch[2];
      if (sub === undefined && method === 'GET') {
        const wanted = req.query
          .get('fields')
          ?.split(',')
          .map((f) => f.trim());
        return json(200, { id: issue.id, key: issue.key, self: self(issue), fields: fieldsOf(issue, wanted) });
      }
      if (sub === '/comment' && method === 'POST') {
        const body = parseJson(req);
        const value = body.ok ? (body.value as { body?: unknown } | null) : null;
        if (!value || !isAdfDocument(value.body))
          return json(400, errors([], { comment: 'Comment body is not a valid Atlassian Document.' }));
        return json(201, addComment(issue, value.body, 'entra-ops integration'));
      }
      if (sub === '/comment' && method === 'GET') {
        return json(200, {
          startAt: 0,
          maxResults: 5000,
          total: issue.comments.length,
          comments: issue.comments.map((c) => commentJson(issue, c)),
        });
      }
      if (sub === '/transitions' && method === 'GET') {
        return json(200, {
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
      }
      if (sub === '/transitions' && method === 'POST') return transition(req, issue);
    }
    return json(404, errors([`No API route ${method} ${path} in the Jira stand-in.`]));
  };

  const commentJson = (issue: JiraIssue, c: JiraComment) => ({
    id: c.id,
    self: `${self(issue)}/comment/${c.id}`,
    author: user(c.author),
    body: c.body,
    created: c.created,
    updated: c.created,
    jsdPublic: true,
  });

  const addComment = (issue: JiraIssue, body: unknown, author: string) => {
    const comment: JiraComment = { id: String(nextComment++), body, author, created: iso() };
    issue.comments.push(comment);
    issue.fields.updated = comment.created;
    return commentJson(issue, comment);
  };

  const create = (req: StandInRequest): StandInResponse => {
    const body = parseJson(req);
    if (!body.ok) return json(400, errors([`Unexpected character in the request body: ${body.message}`]));
    const fields = (body.value as { fields?: Record<string, unknown> } | null)?.fields;
    if (!fields || typeof fields !== 'object') return json(400, errors(['Request body is missing the fields object.']));
    const fieldErrors: Record<string, string> = {};
    const p = fields.project as { key?: unknown; id?: unknown } | undefined;
    if (!p || (p.key !== project.key && p.id !== project.id)) fieldErrors.project = 'valid project is required';
    const t = fields.issuetype as { name?: unknown; id?: unknown } | undefined;
    const issueType = ISSUE_TYPES.find((it) => it.id === t?.id || it.name === t?.name);
    if (!issueType) fieldErrors.issuetype = 'valid issue type is required';
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
    if (Object.keys(fieldErrors).length > 0) return json(400, errors([], fieldErrors));
    const id = String(nextId++);
    const key = `${project.key}-${nextNumber++}`;
    const created = iso();
    const issue: JiraIssue = {
      id,
      key,
      fields: {
        summary: summary as string,
        description: fields.description ?? null,
        labels: [...new Set(labels as string[])],
        status: STATUSES.todo!,
        issuetype: issueType,
        created,
        updated: created,
        [actionFieldId]: null,
      },
      comments: [],
      indexed: !eventual,
    };
    issues.set(key, issue);
    return json(201, { id, key, self: self(issue) });
  };

  const search = (req: StandInRequest): StandInResponse => {
    let params: { jql?: unknown; maxResults?: unknown; nextPageToken?: unknown; fields?: unknown; reconcileIssues?: unknown };
    if (req.method === 'POST') {
      const body = parseJson(req);
      if (!body.ok || typeof body.value !== 'object' || body.value === null)
        return json(400, errors(['Invalid request payload. Refer to the REST API documentation and try again.']));
      params = body.value;
    } else {
      params = {
        jql: req.query.get('jql') ?? undefined,
        maxResults: req.query.get('maxResults') ?? undefined,
        nextPageToken: req.query.get('nextPageToken') ?? undefined,
        fields: req.query.get('fields')?.split(','),
        reconcileIssues: req.query.getAll('reconcileIssues').map(Number),
      };
    }
    if (typeof params.jql !== 'string' || params.jql.trim() === '') {
      return json(400, errors(['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']));
    }
    let query: ReturnType<typeof parseJql>;
    try {
      query = parseJql(params.jql);
    } catch (e) {
      return json(400, errors([e instanceof Error ? e.message : String(e)]));
    }
    for (const c of query.clauses) {
      if (c.field === 'project' && c.values.some((v) => v !== project.key && v !== project.id)) {
        return json(
          400,
          errors([`The value '${c.values.find((v) => v !== project.key)}' does not exist for the field 'project'.`]),
        );
      }
    }
    const reconcile = new Set(Array.isArray(params.reconcileIssues) ? params.reconcileIssues.map(String) : []);
    if (reconcile.size > 50) return json(400, errors(['reconcileIssues accepts at most 50 issue ids.']));
    const valueOf = (issue: JiraIssue, field: string): string[] => {
      if (field === 'project') return [project.key, project.id];
      if (field === 'labels') return issue.fields.labels;
      if (field === 'status') return [issue.fields.status.name, issue.fields.status.id];
      if (field === 'key') return [issue.key, issue.id];
      if (field === 'issuetype') return [(issue.fields.issuetype as { name: string }).name];
      const value = issue.fields[field];
      return [typeof value === 'string' ? value : ''];
    };
    const lower = (values: string[]) => values.map((v) => v.toLowerCase());
    let rows = [...issues.values()].filter(
      (issue) =>
        (issue.indexed || reconcile.has(issue.id)) &&
        query.clauses.every((c) => {
          const have = lower(valueOf(issue, c.field));
          const hit = lower(c.values).some((v) => have.includes(v));
          return c.op === '!=' ? !hit : hit;
        }),
    );
    const order = query.orderBy ?? { field: 'key', desc: true };
    rows = rows.sort((a, b) => (Number(a.id) - Number(b.id)) * (order.desc ? -1 : 1));
    let offset = 0;
    if (params.nextPageToken !== undefined) {
      const decoded =
        typeof params.nextPageToken === 'string' ? Number(Buffer.from(params.nextPageToken, 'base64url').toString()) : NaN;
      if (!Number.isInteger(decoded) || decoded < 0) return json(400, errors(['The nextPageToken is invalid or has expired.']));
      offset = decoded;
    }
    const max = Math.min(100, Math.max(1, Number(params.maxResults ?? 50) || 50));
    const page = rows.slice(offset, offset + max);
    const fields = Array.isArray(params.fields)
      ? params.fields.map(String)
      : typeof params.fields === 'string'
        ? params.fields.split(',')
        : undefined;
    const more = offset + max < rows.length;
    return json(200, {
      issues: page.map((issue) =>
        fields && fields.length > 0
          ? { id: issue.id, key: issue.key, self: self(issue), fields: fieldsOf(issue, fields) }
          : { id: issue.id },
      ),
      ...(more ? { nextPageToken: Buffer.from(String(offset + max)).toString('base64url') } : {}),
      isLast: !more,
    });
  };

  const transition = (req: StandInRequest, issue: JiraIssue): StandInResponse => {
    const body = parseJson(req);
    const value = body.ok ? (body.value as { transition?: { id?: unknown }; update?: { comment?: unknown } } | null) : null;
    const id = value?.transition?.id;
    const target = TRANSITIONS.find((t) => t.id === String(id) && t.to.id !== issue.fields.status.id);
    if (!target) return json(400, errors([`Transition id '${String(id)}' is not valid for this issue.`]));
    const comments = Array.isArray(value?.update?.comment) ? (value.update.comment as { add?: { body?: unknown } }[]) : [];
    if (comments.some((c) => !isAdfDocument(c.add?.body)))
      return json(400, errors([], { comment: 'Comment body is not a valid Atlassian Document.' }));
    issue.fields.status = target.to;
    issue.fields.updated = iso();
    if (target.to.statusCategory.key === 'done') issue.fields.resolutiondate = issue.fields.updated;
    for (const c of comments) addComment(issue, c.add!.body, 'entra-ops integration');
    return json(204);
  };

  const approve = async (req: StandInRequest, issue: JiraIssue): Promise<StandInResponse> => {
    const parsed = controlBody(req, approveSchema, 'InvalidApproval');
    if ('refused' in parsed) return parsed.refused;
    const { action, approvedBy, reason, status } = parsed.value;
    const target = Object.values(STATUSES).find((s) => s.name.toLowerCase() === status.toLowerCase());
    if (!target)
      return json(400, { error: { code: 'InvalidApproval', message: `No status '${status}' in the stand-in workflow` } });
    const from = issue.fields.status;
    issue.fields.status = target;
    issue.fields[actionFieldId] = { self: `${baseUrl}/rest/api/3/customFieldOption/10100`, value: action, id: '10100' };
    issue.fields.updated = iso();
    const comment = reason
      ? addComment(
          issue,
          { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: reason }] }] },
          approvedBy,
        )
      : undefined;
    if (!callback) return json(200, { issue, delivery: null });
    const payload = JSON.stringify({
      timestamp: now(),
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: user(approvedBy),
      // Webhook payloads carry the v2 representation: issue.self points at /rest/api/2/, comment bodies are text.
      issue: { id: issue.id, key: issue.key, self: self(issue, 2), fields: { ...issue.fields, project } },
      changelog: {
        id: String(nextChangelog++),
        items: [
          {
            field: 'status',
            fieldtype: 'jira',
            fieldId: 'status',
            from: from.id,
            fromString: from.name,
            to: target.id,
            toString: target.name,
          },
          {
            field: 'Remediation action',
            fieldtype: 'custom',
            fieldId: actionFieldId,
            from: null,
            fromString: null,
            to: '10100',
            toString: action,
          },
        ],
      },
      ...(comment ? { comment: { ...comment, self: `${self(issue, 2)}/comment/${comment.id}`, body: reason } } : {}),
      matchedWebhookIds: [1],
    });
    const target2 = callback;
    const id = randomUUID();
    const delivery: Delivery = {
      id,
      url: target2.url,
      body: payload,
      attempts: 0,
      headersFor: (attempt) => ({
        'x-atlassian-webhook-identifier': id,
        'x-atlassian-webhook-flow': 'Primary',
        ...(attempt > 1 ? { 'x-atlassian-webhook-retry': String(attempt - 1) } : {}),
        ...(target2.secret ? { 'x-hub-signature': signHub(target2.secret, payload) } : {}),
      }),
    };
    deliveries.set(id, delivery);
    return json(200, { issue, delivery: await deliver(delivery) });
  };

  const control = async (req: StandInRequest): Promise<StandInResponse | undefined> => {
    if (req.path === '/_standin/issues' && req.method === 'GET') return json(200, { value: [...issues.values()] });
    if (req.path === '/_standin/deliveries' && req.method === 'GET') {
      return json(200, {
        value: [...deliveries.values()].map((d) => ({
          id: d.id,
          url: d.url,
          attempts: d.attempts,
          body: JSON.parse(d.body) as unknown,
        })),
      });
    }
    if (req.path === '/_standin/reset' && req.method === 'POST') {
      issues.clear();
      deliveries.clear();
      nextNumber = 1;
      return json(204);
    }
    if (req.path === '/_standin/consistency' && req.method === 'POST') {
      const parsed = controlBody(req, z.object({ eventual: z.boolean() }).strict(), 'InvalidConsistency');
      if ('refused' in parsed) return parsed.refused;
      eventual = parsed.value.eventual;
      return json(200, { eventual });
    }
    if (req.path === '/_standin/index' && req.method === 'POST') {
      for (const issue of issues.values()) issue.indexed = true;
      return json(204);
    }
    if (req.path === '/_standin/callback' && req.method === 'POST') {
      const parsed = controlBody(req, callbackSchema.partial({ secret: true }), 'InvalidCallback');
      if ('refused' in parsed) return parsed.refused;
      callback = parsed.value;
      return json(204);
    }
    const approveMatch = /^\/_standin\/issues\/([^/]+)\/approve$/.exec(req.path);
    if (approveMatch && req.method === 'POST') {
      const issue = find(decodeURIComponent(approveMatch[1]!));
      return issue ? approve(req, issue) : json(404, { error: { code: 'NotFound', message: `No issue ${approveMatch[1]}` } });
    }
    const redeliver = /^\/_standin\/deliveries\/([^/]+)\/redeliver$/.exec(req.path);
    if (redeliver && req.method === 'POST') {
      const delivery = deliveries.get(decodeURIComponent(redeliver[1]!));
      if (!delivery) return json(404, { error: { code: 'NotFound', message: `No delivery ${redeliver[1]}` } });
      return json(200, { delivery: await deliver(delivery) });
    }
    return undefined;
  };

  const server = await startStandInServer(
    {
      name: 'Jira',
      api,
      control,
      faultBody: (status) =>
        status === 401
          ? errors(['You are not authenticated. Authentication required to perform this operation.'])
          : status === 429
            ? errors(['Rate limit exceeded.'])
            : errors([`Internal server error (injected fault ${status}).`]),
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1',
  );
  baseUrl = server.url;
  return {
    ...server,
    issues: () => [...issues.values()],
    setCallback: (next) => {
      callback = next;
    },
  };
}
