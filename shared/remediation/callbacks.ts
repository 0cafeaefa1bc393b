/**
 * What ticket systems send back when a remediation is approved, parsed only after the signature was verified on
 * the raw bytes. One `Approval` per delivery, whatever the provider:
 * - servicenow: a business rule or Flow posts `{sys_id, number, state, previous_state, sys_mod_count, sys_updated_on,
 *   correlation_id, action, approved_by, reason}` (ServiceNow has no outbound payload of its own; this is our
 *   contract). `correlation_id` is the dedupe key we opened the incident with; sys_id:sys_mod_count names the update.
 * - jira: the `jira:issue_updated` admin webhook; approval is a changelog status transition to a configured status
 *   (JIRA_APPROVAL_STATUSES maps status to action) or a change of a configured field (JIRA_ACTION_FIELD) to an action.
 * - webhook, builtin: `{ticketId, action, approvedBy, reason}` signed the Standard Webhooks way.
 */

import { z } from 'zod';

import type { TicketProviderName } from '../ticketing/port';
import { type ActionName, ACTIONS, isAction } from './actions';

export interface Approval {
  readonly lookup: { readonly ticketId?: string; readonly externalId?: string; readonly key?: string };
  readonly action: ActionName;
  readonly approvedBy: string;
  readonly reason: string;
  /** Names this approval (not the delivery): the same approval delivered twice has the same id and runs once. */
  readonly approvalId: string;
  readonly approvedAt?: string;
  /** Jira: the status the issue was moved into; the issue is re-read and must still stand there before acting. */
  readonly approvedStatus?: string;
}

/** The outcome of parsing: an approval, or a delivery that is valid but approves nothing (acknowledged, no action). */
export type ParseOutcome =
  | { readonly kind: 'approval'; readonly approval: Approval }
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'invalid'; readonly issues: readonly { readonly path: string; readonly message: string }[] };

const invalid = (error: z.ZodError): ParseOutcome => ({
  kind: 'invalid',
  issues: error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
});

const actionName = z.enum(ACTIONS, { message: `must be one of ${ACTIONS.join(', ')}` });
const text = (max: number) => z.string().trim().min(1).max(max);

export const simpleCallback = z
  .object({
    ticketId: text(200),
    action: actionName,
    approvedBy: text(320),
    reason: z.string().trim().max(2000).default(''),
    approvalId: text(200).optional(),
  })
  .strict();

export const serviceNowCallback = z.object({
  sys_id: z.string().regex(/^[0-9a-f]{32}$/i, 'must be a 32-character sys_id'),
  number: text(40),
  state: text(40),
  previous_state: z.string().max(40).optional(),
  sys_mod_count: z.union([z.string().regex(/^\d{1,9}$/), z.number().int().min(0)]).transform(String),
  sys_updated_on: text(40),
  correlation_id: text(300),
  action: actionName,
  approved_by: text(320),
  reason: z.string().trim().max(2000).default(''),
});

const jiraItem = z.object({
  field: z.string().max(200),
  fieldId: z.string().max(200).optional(),
  from: z.string().max(2000).nullable().optional(),
  fromString: z.string().max(2000).nullable().optional(),
  to: z.string().max(2000).nullable().optional(),
  toString: z.string().max(2000).nullable().optional(),
});

export const jiraCallback = z.object({
  timestamp: z.number().int().optional(),
  webhookEvent: z.string().max(100),
  user: z.object({ accountId: z.string().max(200).optional(), displayName: z.string().max(320).optional() }).optional(),
  issue: z.object({ id: text(40), key: text(60) }),
  changelog: z.object({ id: text(40), items: z.array(jiraItem).max(100) }).optional(),
});

export function parseSimple(body: unknown, deliveryId: string): ParseOutcome {
  const parsed = simpleCallback.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const b = parsed.data;
  return {
    kind: 'approval',
    approval: {
      lookup: { ticketId: b.ticketId },
      action: b.action,
      approvedBy: b.approvedBy,
      reason: b.reason,
      approvalId: b.approvalId ?? deliveryId,
    },
  };
}

export function parseServiceNow(body: unknown): ParseOutcome {
  const parsed = serviceNowCallback.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const b = parsed.data;
  return {
    kind: 'approval',
    approval: {
      lookup: { key: b.correlation_id, externalId: b.sys_id },
      action: b.action,
      approvedBy: b.approved_by,
      reason: b.reason || `${b.number} moved to state ${b.state}`,
      approvalId: `${b.sys_id}:${b.sys_mod_count}`,
    },
  };
}

export interface JiraMapping {
  readonly approvalStatuses: Readonly<Record<string, ActionName>>;
  readonly actionField?: string;
}

export function parseJira(body: unknown, mapping: JiraMapping): ParseOutcome {
  const parsed = jiraCallback.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const b = parsed.data;
  const ignored = (why: string): ParseOutcome => ({ kind: 'ignored', why });
  if (b.webhookEvent !== 'jira:issue_updated') return ignored(`event ${b.webhookEvent} approves nothing`);
  const items = b.changelog?.items ?? [];
  const field = mapping.actionField?.toLowerCase();
  const byField = field
    ? items.find((i) => (i.fieldId ?? '').toLowerCase() === field || i.field.toLowerCase() === field)
    : undefined;
  const fieldAction = byField?.toString?.trim() ?? byField?.to?.trim();
  const status = items.find((i) => i.field === 'status');
  const statusAction = status?.toString ? mapping.approvalStatuses[status.toString.trim().toLowerCase()] : undefined;
  const action = fieldAction !== undefined && isAction(fieldAction) ? fieldAction : statusAction;
  if (!action) return ignored('no configured approval status or action field in the changelog');
  const who = b.user?.displayName ?? b.user?.accountId ?? 'jira';
  return {
    kind: 'approval',
    approval: {
      lookup: { externalId: b.issue.key },
      action,
      approvedBy: `jira:${who}`,
      reason: status?.toString ? `${b.issue.key} moved to ${status.toString}` : `${b.issue.key}: ${action} approved`,
      approvalId: `${b.issue.id}:${b.changelog?.id ?? ''}`,
      ...(b.timestamp ? { approvedAt: new Date(b.timestamp).toISOString() } : {}),
      ...(status?.toString ? { approvedStatus: status.toString.trim() } : {}),
    },
  };
}

export const CALLBACK_PROVIDERS: readonly TicketProviderName[] = ['servicenow', 'jira', 'webhook', 'builtin'];

/** Longest chain of nested arrays and objects in a parsed JSON value, counted without recursion. */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() ?? [undefined, 0];
    if (typeof v !== 'object' || v === null) continue;
    max = Math.max(max, d);
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
