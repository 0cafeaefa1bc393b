import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { AppError, toError } from '../shared/errors';
import { readParams } from '../shared/http/parse';
import { errorResponse } from '../shared/http/respond';
import { CALLBACK_PROVIDERS } from '../shared/remediation/callbacks';
import { httpFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { handleTicketCallback } from '../shared/runtime/ticketCallback';

const params = z.object({ provider: z.enum(CALLBACK_PROVIDERS as ['servicenow', 'jira', 'webhook', 'builtin']) });

/**
 * `POST /api/tickets/callback/{provider}`. Ticket systems carry no App Service principal, so this route is not behind
 * the app-role check: the function key gets the call in, the per-provider signature decides whether it counts.
 */
export async function ticketCallbackHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const scope = invocation(context, { job: 'remediation' });
  try {
    const { provider } = readParams(request, params);
    return await handleTicketCallback(provider, request, scope, context.invocationId);
  } catch (err) {
    if (err instanceof AppError) {
      scope.log.info({ errorCode: err.code, status: err.status }, 'ticket callback refused');
      return errorResponse(err);
    }
    scope.log.error({ err: toError(err) }, 'ticket callback failed');
    return errorResponse(
      new AppError('INTERNAL_ERROR', `Unexpected error; see the logs for invocation ${context.invocationId}`, 500),
    );
  }
}

export const ticketCallback = httpFunction('ticketCallback', {
  route: 'tickets/callback/{provider}',
  methods: ['POST'],
  authLevel: 'function',
  handler: ticketCallbackHandler,
});
