/**
 * Jira Cloud issues through REST v3.
 *
 * - Rich text (description, comments) must be Atlassian Document Format in v3; plain strings are v2 only.
 * - Dedupe: Jira has no idempotency key. Each issue carries a label derived from our key, and `open` looks it up with
 *   `POST /rest/api/3/search/jql` before creating. That search is eventually consistent: an issue created seconds
 *   ago may not be found yet. The caller's own key → ticket map is therefore the primary dedupe; this search is the
 *   fallback for a lost map entry. Within this process the ids of issues we created recently are passed as
 *   `reconcileIssues`, which asks Jira for read-after-write consistency on exactly those issues.
 * - Resolve: the transition is looked up by name (or target status name) from `GET .../transitions`, because
 *   transition ids are workflow-specific; an issue already in a done status is left alone.
 * - Auth: basic with an account email and an API token.
 */

import type { Logger } from 'pino';
import { z } from 'zod';

import { basicAuth, parseAnswer, type ProviderHttpOptions, type ProviderResponse, sendProviderRequest } from './http';
import {
  type TicketDraft,
  type TicketNote,
  type TicketProvider,
  TicketProviderError,
  type TicketRef,
  type TicketSection,
} from './port';
import { keyDigest, truncate } from './render';

const LABEL_PREFIX = 'entra-ops-';
const SUMMARY_MAX = 255;
/** Jira accepts at most 50 ids in `reconcileIssues`. */
const RECONCILE_MAX = 50;

export interface JiraOptions {
  /** `https://<site>.atlassian.net` */
  readonly baseUrl: string;
  readonly email: string;
  readonly apiToken: string;
  readonly projectKey: string;
  /** Issue type name (`Task`) or numeric id. */
  readonly issueType: string;
  /** Name of the resolving transition (`Done`), or of the status it leads to. */
  readonly resolveTransition: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** The dedupe label of a key: labels hold no spaces and 255 characters, so a digest rather than the key itself. */
export const dedupeLabelFor = (key: string): string => `${LABEL_PREFIX}${keyDigest(key, 40)}`;

type AdfNode = { type: string; [k: string]: unknown };
const text = (value: string): AdfNode => ({ type: 'text', text: value });
const paragraph = (value: string): AdfNode =>
  value === '' ? { type: 'paragraph', content: [] } : { type: 'paragraph', content: [text(value)] };

/** A section as ADF: a heading, then one paragraph or a bullet list. */
function sectionNodes(section: TicketSection): AdfNode[] {
  const heading: AdfNode = { type: 'heading', attrs: { level: 3 }, content: [text(section.heading)] };
  if (section.lines.length <= 1) return [heading, paragraph(section.lines[0] ?? '')];
  return [
    heading,
    { type: 'bulletList', content: section.lines.map((line) => ({ type: 'listItem', content: [paragraph(line)] })) },
  ];
}

export function adfDocument(content: AdfNode[]): AdfNode {
  return { type: 'doc', version: 1, content };
}

/** Plain text as ADF paragraphs, one per line (ADF text nodes must not be empty). */
export const adfText = (value: string): AdfNode => adfDocument(value.split('\n').map(paragraph));

export function draftAdf(draft: TicketDraft): AdfNode {
  const facts = Object.entries(draft.facts ?? {});
  const sections =
    facts.length === 0
      ? draft.sections
      : [...draft.sections, { heading: 'Facts', lines: facts.map(([k, v]) => `${k}: ${String(v)}`) }];
  return adfDocument([...sections.flatMap(sectionNodes), paragraph(`entra-ops key: ${draft.key}`)]);
}

const noteAdf = (note: TicketNote): AdfNode =>
  adfDocument([
    ...note.text.split('\n').map(paragraph),
    { type: 'paragraph', content: [{ ...text(`entra-ops note ${note.noteId}`), marks: [{ type: 'code' }] }] },
  ]);

const errorBody = z.object({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.string()).optional(),
});
const describeError = (body: unknown): string | undefined => {
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const parts = [...(parsed.data.errorMessages ?? []), ...Object.entries(parsed.data.errors ?? {}).map(([f, m]) => `${f}: ${m}`)];
  return parts.length > 0 ? parts.join('; ') : undefined;
};

const created = z.object({ id: z.string().min(1), key: z.string().min(1) });
const searchAnswer = z.object({
  issues: z.array(z.object({ id: z.string(), key: z.string() })),
  nextPageToken: z.string().optional(),
});
const transitionsAnswer = z.object({
  transitions: z.array(z.object({ id: z.string(), name: z.string(), to: z.object({ name: z.string() }).optional() })),
});
const statusAnswer = z.object({
  fields: z.object({ status: z.object({ name: z.string(), statusCategory: z.object({ key: z.string() }).optional() }) }),
});

export class JiraProvider implements TicketProvider {
  readonly name = 'jira' as const;
  private readonly http: ProviderHttpOptions;
  private readonly authorization: string;
  private readonly recentlyCreated: string[] = [];

  constructor(private readonly options: JiraOptions) {
    this.authorization = basicAuth(options.email, options.apiToken);
    this.http = {
      provider: 'jira',
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      describeError,
      authHint:
        'Check JIRA_EMAIL / JIRA_API_TOKEN, and that the account may browse, create, comment on and transition issues in the project.',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.now === undefined ? {} : { now: options.now }),
    };
  }

  async open(draft: TicketDraft): Promise<TicketRef> {
    const label = dedupeLabelFor(draft.key);
    const existing = await this.findByLabel(label);
    if (existing) return this.ref(existing.key);
    const answer = await this.call({
      method: 'POST',
      path: '/rest/api/3/issue',
      body: {
        fields: {
          project: { key: this.options.projectKey },
          issuetype: /^\d+$/.test(this.options.issueType) ? { id: this.options.issueType } : { name: this.options.issueType },
          summary: truncate(draft.title.replace(/[\r\n]+/g, ' '), SUMMARY_MAX),
          description: draftAdf(draft),
          labels: [label, 'entra-ops', `entra-ops-${draft.category.replace(/[^\w-]+/g, '-')}`],
        },
      },
      action: 'create issue',
    });
    const issue = parseAnswer('jira', 'create issue', created, answer.body);
    this.recentlyCreated.push(issue.id);
    if (this.recentlyCreated.length > RECONCILE_MAX) this.recentlyCreated.shift();
    return this.ref(issue.key);
  }

  async addNote(ref: TicketRef, note: TicketNote): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/rest/api/3/issue/${encodeURIComponent(ref.externalId)}/comment`,
      body: { body: noteAdf(note) },
      action: 'add comment',
    });
  }

  async resolve(ref: TicketRef, note: TicketNote): Promise<void> {
    const issuePath = `/rest/api/3/issue/${encodeURIComponent(ref.externalId)}`;
    const current = await this.call({ method: 'GET', path: issuePath, query: { fields: 'status' }, action: 'read issue' });
    const status = parseAnswer('jira', 'read issue', statusAnswer, current.body).fields.status;
    if (status.statusCategory?.key === 'done') return;
    const available = await this.call({ method: 'GET', path: `${issuePath}/transitions`, action: 'list transitions' });
    const { transitions } = parseAnswer('jira', 'list transitions', transitionsAnswer, available.body);
    const wanted = this.options.resolveTransition.toLowerCase();
    const transition =
      transitions.find((t) => t.name.toLowerCase() === wanted) ?? transitions.find((t) => t.to?.name.toLowerCase() === wanted);
    if (!transition) {
      throw new TicketProviderError(
        'jira',
        `jira: resolve ${ref.displayId ?? ref.externalId}: no transition '${this.options.resolveTransition}' from status '${status.name}' ` +
          `(available: ${transitions.map((t) => t.name).join(', ') || 'none'}); set JIRA_RESOLVE_TRANSITION to one of them`,
        false,
      );
    }
    // The closing note rides on the transition itself, so a retry never posts it without the transition or twice.
    await this.call({
      method: 'POST',
      path: `${issuePath}/transitions`,
      body: { transition: { id: transition.id }, update: { comment: [{ add: { body: noteAdf(note) } }] } },
      action: 'transition issue',
    });
  }

  /**
   * The issue's current status name, read only by the approval callback: a Jira webhook carries no timestamp in its
   * signature, so an approval is trusted only while the issue still stands in the status it was approved into.
   */
  async currentStatus(key: string): Promise<string> {
    const path = `/rest/api/3/issue/${encodeURIComponent(key)}`;
    const current = await this.call({ method: 'GET', path, query: { fields: 'status' }, action: 'read issue status' });
    return parseAnswer('jira', 'read issue status', statusAnswer, current.body).fields.status.name;
  }

  async check(): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    try {
      await this.call({
        method: 'GET',
        path: `/rest/api/3/project/${encodeURIComponent(this.options.projectKey)}`,
        action: 'read project',
      });
      return { ok: true, detail: `project ${this.options.projectKey} readable` };
    } catch (e) {
      if (e instanceof TicketProviderError) return { ok: false, detail: e.message };
      throw e;
    }
  }

  private async findByLabel(label: string): Promise<{ id: string; key: string } | undefined> {
    const answer = await this.call({
      method: 'POST',
      path: '/rest/api/3/search/jql',
      body: {
        jql: `project = "${this.options.projectKey}" AND labels = "${label}" ORDER BY created ASC`,
        fields: ['key'],
        maxResults: 2,
        ...(this.recentlyCreated.length > 0 ? { reconcileIssues: this.recentlyCreated.map(Number) } : {}),
      },
      action: 'search issues by dedupe label',
    });
    const { issues } = parseAnswer('jira', 'search issues by dedupe label', searchAnswer, answer.body);
    if (issues.length > 1) {
      // Two issues for one key can only come from a race before the search index caught up; keep using the oldest.
      this.options.logger?.warn(
        { provider: 'jira', issues: issues.map((i) => i.key) },
        'more than one Jira issue carries one dedupe label; using the oldest',
      );
    }
    return issues[0];
  }

  private ref(key: string): TicketRef {
    return { provider: 'jira', externalId: key, displayId: key, url: `${this.http.baseUrl}/browse/${encodeURIComponent(key)}` };
  }

  private call(request: Parameters<typeof sendProviderRequest>[1]): Promise<ProviderResponse> {
    return sendProviderRequest(this.http, { ...request, headers: { authorization: this.authorization } });
  }
}
