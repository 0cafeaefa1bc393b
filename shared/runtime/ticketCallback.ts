/**
 * `POST /api/tickets/callback/{provider}`: verify on the raw bytes, refuse replays, then parse, find the ticket and
 * run the approved action through the same path as `POST /api/remediations`. Every refusal before the action is a
 * 4xx with nothing changed: 401 for unsigned, mis-signed, expired or replayed deliveries, 413 for big bodies, 400 for
 * bodies that are not JSON, too deep or not the provider's shape, 404 for tickets we did not open.
 */

import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { AppError, badRequest, notFound } from '../errors';
import { json } from '../http/respond';
import { requestView } from '../remediation/api';
import { type Approval, jsonDepth, parseJira, type ParseOutcome, parseServiceNow, parseSimple } from '../remediation/callbacks';
import type { NewRequest, TicketRecord } from '../remediation/ports';
import { submit } from '../remediation/run';
import { HUB_SIGNATURE_HEADER, verifyHub } from '../ticketing/hubSignature';
import { JiraProvider } from '../ticketing/jira';
import type { TicketProviderName } from '../ticketing/port';
import { verify, WebhookSecretError } from '../ticketing/standardWebhooks';
import type { Invocation } from './invocation';
import { deliveryLedger, privilegedLookup, remediationRunDeps, runnerId } from './remediation';
import { ticketProviderFor } from './risk';
import { ticketDirectory, ticketNotes } from './ticketWiring';

export { ticketNotes };

/** The app setting holding each provider's callback secrets. */
export const CALLBACK_SECRET_SETTING: Record<TicketProviderName, string> = {
  servicenow: 'SERVICENOW_CALLBACK_SECRET',
  jira: 'JIRA_WEBHOOK_SECRET',
  webhook: 'TICKET_CALLBACK_SECRET_WEBHOOK',
  builtin: 'TICKET_CALLBACK_SECRET_BUILTIN',
};

export const MAX_CALLBACK_BYTES = 64 * 1024;
export const MAX_CALLBACK_DEPTH = 32;
/** A claimed delivery whose request was never recorded (host died) may be taken over by a retry after this long. */
const STALE_CLAIM_MS = 120_000;
const JIRA_DELIVERY_HEADER = 'x-atlassian-webhook-identifier';

const unauthorized = (code: string, message: string): AppError => new AppError(code, message, 401);

async function readRaw(request: HttpRequest): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_CALLBACK_BYTES)
    throw new AppError('BODY_TOO_LARGE', `Callbacks are limited to ${MAX_CALLBACK_BYTES} bytes`, 413);
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > MAX_CALLBACK_BYTES)
    throw new AppError('BODY_TOO_LARGE', `Callbacks are limited to ${MAX_CALLBACK_BYTES} bytes`, 413);
  return raw;
}

/** The delivery id of a correctly signed delivery, or a 401. */
function verifyDelivery(provider: TicketProviderName, secrets: readonly string[], request: HttpRequest, raw: Buffer): string {
  if (provider === 'jira') {
    if (!verifyHub(secrets, request.headers.get(HUB_SIGNATURE_HEADER), raw)) {
      throw unauthorized('CALLBACK_SIGNATURE_INVALID', 'X-Hub-Signature is missing or does not match the body');
    }
    const id = request.headers.get(JIRA_DELIVERY_HEADER)?.trim();
    if (!id || id.length > 256) throw unauthorized('CALLBACK_DELIVERY_ID_MISSING', `${JIRA_DELIVERY_HEADER} is required`);
    return id;
  }
  let result: ReturnType<typeof verify>;
  try {
    result = verify(secrets, request.headers, raw);
  } catch (err) {
    if (err instanceof WebhookSecretError) {
      throw new AppError('CALLBACK_SECRET_INVALID', `${CALLBACK_SECRET_SETTING[provider]} is not a valid whsec_ secret`, 503);
    }
    throw err;
  }
  if (!result.ok) {
    const code = result.reason.startsWith('timestamp') ? 'CALLBACK_EXPIRED' : 'CALLBACK_SIGNATURE_INVALID';
    throw unauthorized(code, `Standard Webhooks verification failed: ${result.message}`);
  }
  return result.id;
}

function parseBody(provider: TicketProviderName, raw: Buffer, deliveryId: string, scope: Invocation): ParseOutcome {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw badRequest('INVALID_JSON', 'The callback body is not valid JSON');
  }
  if (jsonDepth(body, MAX_CALLBACK_DEPTH) > MAX_CALLBACK_DEPTH) {
    throw badRequest('BODY_TOO_DEEP', `Callback bodies may nest at most ${MAX_CALLBACK_DEPTH} levels`);
  }
  const r = scope.services.config.remediation;
  if (provider === 'servicenow') return parseServiceNow(body);
  if (provider === 'jira')
    return parseJira(body, {
      approvalStatuses: r.jiraApprovalStatuses,
      ...(r.jiraActionField ? { actionField: r.jiraActionField } : {}),
    });
  return parseSimple(body, deliveryId);
}

function ticketRequest(provider: TicketProviderName, approval: Approval, ticket: TicketRecord): NewRequest {
  return {
    subject: `ticket:${ticket.ticketId}`,
    idempotencyKey: `${provider}:${approval.approvalId}:${approval.action}`,
    action: approval.action,
    userId: ticket.userId,
    approvedBy: approval.approvedBy,
    reason: approval.reason,
    approvedAt: approval.approvedAt ?? new Date().toISOString(),
    source: 'ticket',
    ticket: { ...ticket.ref, ticketId: ticket.ticketId },
  };
}

/**
 * Jira signs no timestamp, so a delivery is only a hint: the issue is read again and must still stand in the status
 * the approval moved it to (someone may have moved it back, or this is an old delivery). A read that fails is a 503
 * so Jira retries; the approval does not run on stale data. Only when Jira is the configured ticket system: tickets
 * of another provider are never Jira tickets.
 */
async function confirmJiraStatus(
  provider: TicketProviderName,
  approval: Approval,
  ticket: TicketRecord,
  scope: Invocation,
): Promise<void> {
  const jira = provider === 'jira' && approval.approvedStatus ? ticketProviderFor(scope.services) : undefined;
  if (!(jira instanceof JiraProvider) || !approval.approvedStatus) return;
  let status: string;
  try {
    status = await jira.currentStatus(ticket.ref.externalId);
  } catch (err) {
    scope.log.warn({ ticketId: ticket.ticketId, err }, 'ticket callback: Jira issue not re-read');
    throw new AppError('TICKET_SYSTEM_UNAVAILABLE', `Jira issue ${ticket.ref.externalId} could not be read again`, 503);
  }
  if (status.trim().toLowerCase() !== approval.approvedStatus.toLowerCase()) {
    throw new AppError(
      'TICKET_STATUS_CHANGED',
      `Jira issue ${ticket.ref.externalId} is in '${status}' now, no longer in the approved status '${approval.approvedStatus}'; approve it again to act`,
      409,
    );
  }
}

async function act(
  provider: TicketProviderName,
  outcome: ParseOutcome,
  scope: Invocation,
  invocationId: string,
): Promise<HttpResponseInit> {
  if (outcome.kind === 'invalid') {
    const first = outcome.issues[0];
    throw badRequest(
      'INVALID_BODY',
      `Invalid ${provider} callback${first ? `: ${first.path} ${first.message}` : ''}`,
      outcome.issues,
    );
  }
  if (outcome.kind === 'ignored') return json(202, { ignored: true, why: outcome.why });
  const ticket = await ticketDirectory(scope.services).find(provider, outcome.approval.lookup);
  if (!ticket) throw notFound('TICKET_NOT_FOUND', 'No ticket of entra-ops matches this callback', outcome.approval.lookup);
  if (!ticket.open) throw new AppError('TICKET_NOT_OPEN', `Ticket ${ticket.ticketId} is resolved; open a new one to act`, 409);
  await confirmJiraStatus(provider, outcome.approval, ticket, scope);
  const deps = remediationRunDeps(scope.services, scope.log, privilegedLookup(scope.services), ticketNotes(scope.services));
  const result = await submit(deps, ticketRequest(provider, outcome.approval, ticket), runnerId(invocationId));
  const finished = result.request.state !== 'queued' && result.request.state !== 'running';
  return json(finished ? 200 : 202, {
    duplicate: !result.created,
    ...requestView(result.request, scope.services.config.remediation.publicBaseUrl),
  });
}

export async function handleTicketCallback(
  provider: TicketProviderName,
  request: HttpRequest,
  scope: Invocation,
  invocationId: string,
): Promise<HttpResponseInit> {
  const secrets = scope.services.config.remediation.callbackSecrets[provider];
  if (secrets.length === 0) {
    throw notFound('CALLBACK_NOT_CONFIGURED', `Callbacks from ${provider} are off: set ${CALLBACK_SECRET_SETTING[provider]}`);
  }
  const raw = await readRaw(request);
  const deliveryId = verifyDelivery(provider, secrets, request, raw);
  const ledger = deliveryLedger(scope.services);
  if ((await ledger.claim(provider, deliveryId, new Date(), STALE_CLAIM_MS)) === 'replayed') {
    throw unauthorized('CALLBACK_REPLAYED', 'This delivery id was already received; replays are refused');
  }
  let handled = false;
  try {
    const response = await act(provider, parseBody(provider, raw, deliveryId, scope), scope, invocationId);
    handled = true;
    return response;
  } catch (err) {
    // A refusal (4xx) is final for this delivery; a fault leaves the claim so the sender's retry can take over.
    handled = err instanceof AppError && err.status < 500;
    throw err;
  } finally {
    if (handled) await ledger.complete(provider, deliveryId);
  }
}
