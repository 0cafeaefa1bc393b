/**
 * `/runtime/webhooks/eventgrid?functionName=<name>`, the Event Grid extension's webhook, with its behaviour
 * (Microsoft.Azure.WebJobs.Extensions.EventGrid HttpRequestProcessor / EventGridExtensionConfigProvider):
 * `aeg-event-type: SubscriptionValidation` answers `{validationResponse}`; `Notification` invokes the function once
 * per event, all in parallel, and answers 202, or 500 when any invocation failed so Event Grid redelivers the batch;
 * `Unsubscribe`/`SubscriptionDeletion` answer 202. CloudEvents 1.0 (structured, single or batch) are accepted too,
 * also without `aeg-event-type` when the content type says CloudEvents, and `OPTIONS` answers the CloudEvents
 * webhook abuse-protection handshake (https://github.com/cloudevents/spec/blob/v1.0/http-webhook.md#4-abuse-protection).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { EventGridEvent, EventGridFunctionOptions } from '@azure/functions';
import { z } from 'zod';

import type { FunctionDefinition } from '../../shared/runtime/definitions';
import { MAX_REQUEST_BYTES, readRequestText, writeError, writeJson } from './http';
import type { Invoker } from './invoker';
import type { HostLogger } from './types';

export const EVENT_GRID_PATH = '/runtime/webhooks/eventgrid';

const eventGridEvent = z.looseObject({
  id: z.string().min(1),
  eventType: z.string().min(1),
  subject: z.string(),
  eventTime: z.string().min(1),
  data: z.unknown().optional(),
  dataVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
  topic: z.string().optional(),
});
const cloudEvent = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
});
type ParsedEvent = Record<string, unknown>;

export class EventGridTriggers {
  private readonly functions = new Map<string, { name: string; options: EventGridFunctionOptions }>();

  constructor(
    definitions: readonly FunctionDefinition[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
  ) {
    for (const def of definitions) {
      if (def.kind === 'eventGrid') this.functions.set(def.name.toLowerCase(), { name: def.name, options: def.options });
    }
  }

  names(): string[] {
    return [...this.functions.values()].map((f) => f.name);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const functionName = url.searchParams.get('functionName') ?? '';
    const fn = this.functions.get(functionName.toLowerCase());
    if (!fn) {
      return writeError(res, 404, 'FunctionNotFound', `cannot find Event Grid function '${functionName}'`, {
        available: this.names(),
      });
    }
    if (answeredNonPost(req, res)) return;

    const body = await readJsonBody(req, res);
    if (body === NO_BODY) return;

    const contentType = (header(req, 'content-type') ?? '').toLowerCase();
    if (this.answeredControlEvent(req, res, fn.name, body, contentType)) return;

    const parsed = parseEvents(body, contentType);
    if (!parsed.ok) return writeError(res, 400, 'InvalidEvents', parsed.message, { issues: parsed.issues });
    return this.deliver(res, fn, parsed.events);
  }

  /**
   * Answers the deliveries that invoke nothing (validation handshake, unsubscribe, missing event type); returns
   * false for a notification, which the caller delivers.
   */
  private answeredControlEvent(
    req: IncomingMessage,
    res: ServerResponse,
    functionName: string,
    body: unknown,
    contentType: string,
  ): boolean {
    const isCloudEventsContent = contentType.includes('application/cloudevents');
    const eventType = header(req, 'aeg-event-type')?.toLowerCase() ?? (isCloudEventsContent ? 'notification' : undefined);
    switch (eventType) {
      case 'subscriptionvalidation': {
        const code = validationCode(body);
        if (code === undefined) {
          writeError(res, 400, 'InvalidValidationEvent', 'The subscription validation event has no data.validationCode');
          return true;
        }
        this.logger.info({ functionName }, 'Event Grid subscription validation handshake');
        writeJson(res, 200, { validationResponse: code });
        return true;
      }
      case 'unsubscribe':
      case 'subscriptiondeletion':
        res.writeHead(202, { 'content-length': 0 }).end();
        return true;
      case 'notification':
        return false;
      default:
        writeError(
          res,
          400,
          'MissingEventType',
          "Set the header 'aeg-event-type' to Notification or SubscriptionValidation (Event Grid always sends it), or post CloudEvents with content type application/cloudevents+json or application/cloudevents-batch+json",
        );
        return true;
    }
  }

  /** One invocation per event, all in parallel; any failure answers 500 so Event Grid redelivers the whole batch. */
  private async deliver(
    res: ServerResponse,
    fn: { name: string; options: EventGridFunctionOptions },
    events: readonly ParsedEvent[],
  ): Promise<void> {
    const results = await Promise.allSettled(
      events.map((event) =>
        this.invoker.invoke(
          { functionName: fn.name, triggerType: 'eventGridTrigger', triggerMetadata: { data: event } },
          async (context) => fn.options.handler(event as unknown as EventGridEvent, context),
        ),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      return writeError(
        res,
        500,
        'FunctionFailed',
        `${failed.length} of ${results.length} event(s) failed; Event Grid will redeliver the batch`,
        {
          failed: failed.length,
          delivered: results.length,
        },
      );
    }
    return void res.writeHead(202, { 'content-length': 0 }).end();
  }
}

/** Answers `OPTIONS` (the CloudEvents abuse-protection handshake) and refuses other non-POST methods; true when answered. */
function answeredNonPost(req: IncomingMessage, res: ServerResponse): boolean {
  const method = (req.method ?? '').toUpperCase();
  if (method === 'POST') return false;
  req.resume();
  if (method === 'OPTIONS') {
    res.writeHead(200, {
      'webhook-allowed-origin': header(req, 'webhook-request-origin') ?? '*',
      'webhook-allowed-rate': header(req, 'webhook-request-rate') ?? '*',
      allow: 'OPTIONS, POST',
      'content-length': 0,
    });
    res.end();
    return true;
  }
  res.setHeader('allow', 'OPTIONS, POST');
  writeError(res, 405, 'MethodNotAllowed', 'Event Grid deliveries are POST requests');
  return true;
}

const NO_BODY: unique symbol = Symbol('no body');

/** The parsed JSON body, or NO_BODY after answering 413 (too large) or 400 (not JSON). */
async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const text = await readRequestText(req);
  if (text === undefined) {
    writeError(res, 413, 'PayloadTooLarge', `The request body exceeds ${MAX_REQUEST_BYTES} bytes`);
    return NO_BODY;
  }
  try {
    return JSON.parse(text);
  } catch {
    writeError(res, 400, 'InvalidJson', 'The request body is not valid JSON');
    return NO_BODY;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Event Grid schema: `[ { data: { validationCode } } ]`; CloudEvents: `{ data }` where data may be double-encoded JSON. */
function validationCode(body: unknown): string | undefined {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (first === null || typeof first !== 'object') return undefined;
  let data = (first as { data?: unknown }).data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  const code = data !== null && typeof data === 'object' ? (data as { validationCode?: unknown }).validationCode : undefined;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

type ParseResult = { ok: true; events: ParsedEvent[] } | { ok: false; message: string; issues: string[] };

function parseEvents(body: unknown, contentType: string): ParseResult {
  if (contentType.includes('application/cloudevents-batch+json') && !Array.isArray(body)) {
    return { ok: false, message: 'A CloudEvents batch must be a JSON array', issues: [] };
  }
  const items: unknown[] = Array.isArray(body) ? body : [body];
  if (items.length === 0) return { ok: false, message: 'The request has no events', issues: [] };
  const events: ParsedEvent[] = [];
  const issues: string[] = [];
  items.forEach((item, index) => {
    const isCloudEvent = item !== null && typeof item === 'object' && 'specversion' in item;
    const result = isCloudEvent ? cloudEvent.safeParse(item) : eventGridEvent.safeParse(item);
    if (result.success) events.push(result.data);
    else for (const issue of result.error.issues) issues.push(`[${index}].${issue.path.join('.')}: ${issue.message}`);
  });
  return issues.length > 0
    ? { ok: false, message: 'The events are not valid Event Grid or CloudEvents 1.0 events', issues }
    : { ok: true, events };
}
