/**
 * ServiceNow incidents through the Table API (`/api/now/table/incident`).
 *
 * - Dedupe: the Table API has no idempotency key, so `open` queries `correlation_id` before creating. The field holds
 *   100 characters (longer values are cut, and a cut value never matches the query again), so keys longer than that,
 *   or holding the encoded-query separator `^`, are replaced by a digest. The query is not limited to active incidents:
 *   a key names one risk episode and must never open a second incident, even after the first was resolved.
 * - More than one match is an error, never "pick one": the instance ignores invalid parts of a query (a misspelt field
 *   name returns every incident) unless `glide.invalid_query.returns_no_rows` is set, and a wrong pick would write
 *   someone else's incident.
 * - Updates are `work_notes` (internal journal), resolution is state 6 with `close_code` and `close_notes`.
 * - Auth: basic (an integration user with the itil role) or OAuth client credentials against `/oauth_token.do`, the
 *   token cached until shortly before it expires and fetched again once when the instance answers 401.
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
  type TicketSeverity,
} from './port';
import { draftText, keyDigest, noteText, truncate } from './render';

export const SERVICENOW_STATE = { new: '1', inProgress: '2', onHold: '3', resolved: '6', closed: '7', canceled: '8' } as const;
const CORRELATION_ID_MAX = 100;
const SHORT_DESCRIPTION_MAX = 160;
/** Refresh an OAuth token this long before the instance says it expires. */
const TOKEN_EARLY_REFRESH_MS = 60_000;

export type ServiceNowAuth =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };

export interface ServiceNowOptions {
  /** `https://<instance>.service-now.com` */
  readonly instanceUrl: string;
  readonly auth: ServiceNowAuth;
  readonly closeCode: string;
  readonly assignmentGroup?: string;
  readonly callerId?: string;
  readonly category?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** `correlation_id` for a dedupe key: the key itself when it fits and is safe in an encoded query, else a digest. */
export function correlationIdFor(key: string): string {
  return key.length <= CORRELATION_ID_MAX && !/[\^\r\n]/.test(key) ? key : `entra-ops:${keyDigest(key, 64)}`;
}

const URGENCY: Record<TicketSeverity, string> = { high: '1', medium: '2', low: '3' };

const errorBody = z.object({ error: z.object({ message: z.string().optional(), detail: z.string().nullish() }) });
const describeError = (body: unknown): string | undefined => {
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return undefined;
  return [parsed.data.error.message, parsed.data.error.detail].filter(Boolean).join(' - ') || undefined;
};

const incidentSummary = z.object({ sys_id: z.string().min(1), number: z.string().optional(), state: z.string().optional() });
const listAnswer = z.object({ result: z.array(incidentSummary) });
const recordAnswer = z.object({ result: incidentSummary });
const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive().optional() });

export class ServiceNowProvider implements TicketProvider {
  readonly name = 'servicenow' as const;
  private readonly http: ProviderHttpOptions;
  private token: { value: string; expiresAt: number } | undefined;

  constructor(private readonly options: ServiceNowOptions) {
    this.http = {
      provider: 'servicenow',
      baseUrl: options.instanceUrl.replace(/\/+$/, ''),
      describeError,
      authHint:
        options.auth.kind === 'basic'
          ? 'Check SERVICENOW_USERNAME / SERVICENOW_PASSWORD and that the user has the itil role (or table ACLs for incident).'
          : "Check SERVICENOW_CLIENT_ID / SERVICENOW_CLIENT_SECRET, the OAuth application entry (client_credentials grant) and its user's roles.",
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.now === undefined ? {} : { now: options.now }),
    };
  }

  async open(draft: TicketDraft): Promise<TicketRef> {
    const correlationId = correlationIdFor(draft.key);
    const existing = await this.findByCorrelationId(correlationId);
    if (existing) return this.ref(existing);
    const created = await this.call({
      method: 'POST',
      path: '/api/now/table/incident',
      query: { sysparm_exclude_reference_link: 'true', sysparm_fields: 'sys_id,number,state' },
      body: {
        short_description: truncate(draft.title, SHORT_DESCRIPTION_MAX),
        description: draftText(draft),
        urgency: URGENCY[draft.severity],
        impact: URGENCY[draft.severity],
        correlation_id: correlationId,
        correlation_display: 'entra-ops',
        ...(this.options.category ? { category: this.options.category } : {}),
        ...(this.options.assignmentGroup ? { assignment_group: this.options.assignmentGroup } : {}),
        ...(this.options.callerId ? { caller_id: this.options.callerId } : {}),
      },
      action: 'create incident',
    });
    return this.ref(parseAnswer('servicenow', 'create incident', recordAnswer, created.body).result);
  }

  async addNote(ref: TicketRef, note: TicketNote): Promise<void> {
    await this.call({
      method: 'PATCH',
      path: `/api/now/table/incident/${encodeURIComponent(ref.externalId)}`,
      query: { sysparm_fields: 'sys_id' },
      body: { work_notes: noteText(note) },
      action: 'add work note',
    });
  }

  async resolve(ref: TicketRef, note: TicketNote): Promise<void> {
    const path = `/api/now/table/incident/${encodeURIComponent(ref.externalId)}`;
    const current = await this.call({
      method: 'GET',
      path,
      query: { sysparm_fields: 'sys_id,number,state' },
      action: 'read incident',
    });
    const state = parseAnswer('servicenow', 'read incident', recordAnswer, current.body).result.state;
    // Resolved, closed and canceled incidents are done; closed ones are read-only for the itil role anyway.
    if (state === SERVICENOW_STATE.resolved || state === SERVICENOW_STATE.closed || state === SERVICENOW_STATE.canceled) return;
    await this.call({
      method: 'PATCH',
      path,
      query: { sysparm_fields: 'sys_id,state' },
      body: { state: SERVICENOW_STATE.resolved, close_code: this.options.closeCode, close_notes: noteText(note) },
      action: 'resolve incident',
    });
  }

  async check(): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    try {
      await this.call({
        method: 'GET',
        path: '/api/now/table/incident',
        query: { sysparm_limit: '1', sysparm_fields: 'sys_id' },
        action: 'read incidents',
      });
      return { ok: true, detail: 'incident table readable' };
    } catch (e) {
      if (e instanceof TicketProviderError) return { ok: false, detail: e.message };
      throw e;
    }
  }

  private async findByCorrelationId(correlationId: string): Promise<z.infer<typeof incidentSummary> | undefined> {
    const answer = await this.call({
      method: 'GET',
      path: '/api/now/table/incident',
      // Two rows are enough to tell "unique" from "not unique".
      query: {
        sysparm_query: `correlation_id=${correlationId}`,
        sysparm_fields: 'sys_id,number,state',
        sysparm_limit: '2',
      },
      action: 'find incident by correlation_id',
    });
    const rows = parseAnswer('servicenow', 'find incident by correlation_id', listAnswer, answer.body).result;
    if (rows.length > 1) {
      throw new TicketProviderError(
        'servicenow',
        `servicenow: more than one incident has correlation_id ${correlationId} (${rows.map((r) => r.number ?? r.sys_id).join(', ')}); ` +
          'the instance may be ignoring an invalid query part (glide.invalid_query.returns_no_rows) or incidents were duplicated by hand. Nothing was written.',
        false,
      );
    }
    return rows[0];
  }

  private ref(row: z.infer<typeof incidentSummary>): TicketRef {
    const url = `${this.http.baseUrl}/nav_to.do?uri=${encodeURIComponent(`incident.do?sys_id=${row.sys_id}`)}`;
    return { provider: 'servicenow', externalId: row.sys_id, ...(row.number ? { displayId: row.number } : {}), url };
  }

  private async call(request: Parameters<typeof sendProviderRequest>[1]): Promise<ProviderResponse> {
    const fromCache = this.token !== undefined;
    try {
      return await sendProviderRequest(this.http, { ...request, headers: { authorization: await this.authorization() } });
    } catch (e) {
      // A cached OAuth token can be revoked before it expires: fetch a new one once.
      if (!(e instanceof TicketProviderError) || e.status !== 401 || this.options.auth.kind !== 'oauth' || !fromCache) throw e;
      this.token = undefined;
      return sendProviderRequest(this.http, { ...request, headers: { authorization: await this.authorization() } });
    }
  }

  private async authorization(): Promise<string> {
    const auth = this.options.auth;
    if (auth.kind === 'basic') return basicAuth(auth.username, auth.password);
    const now = (this.options.now ?? Date.now)();
    if (this.token && this.token.expiresAt > now) return `Bearer ${this.token.value}`;
    const answer = await sendProviderRequest(
      { ...this.http, describeError: describeOAuthError },
      {
        method: 'POST',
        path: '/oauth_token.do',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: auth.clientId,
          client_secret: auth.clientSecret,
        }).toString(),
        action: 'get OAuth token',
      },
    );
    const token = parseAnswer('servicenow', 'get OAuth token', tokenAnswer, answer.body);
    const lifetimeMs = (token.expires_in ?? 1800) * 1000;
    this.token = { value: token.access_token, expiresAt: now + Math.max(0, lifetimeMs - TOKEN_EARLY_REFRESH_MS) };
    return `Bearer ${token.access_token}`;
  }
}

const oauthError = z.object({ error: z.string().optional(), error_description: z.string().optional() });
const describeOAuthError = (body: unknown): string | undefined => {
  const parsed = oauthError.safeParse(body);
  return parsed.success ? [parsed.data.error, parsed.data.error_description].filter(Boolean).join(': ') || undefined : undefined;
};
