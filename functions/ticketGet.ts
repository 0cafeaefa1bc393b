import { notFound } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { ticketDetail, ticketIdParams } from '../shared/risk/model';
import { httpFunction } from '../shared/runtime/definitions';
import { TableTicketRepository } from '../shared/storage/riskTickets';

/** GET /api/tickets/{ticketId}: one ticket with its text and its timeline of signals and updates. */
export const ticketGetHandler = httpHandler(async ({ request, services }) => {
  const { ticketId } = readParams(request, ticketIdParams);
  const ticket = await new TableTicketRepository(services.storage).get(ticketId);
  if (!ticket) throw notFound('TICKET_NOT_FOUND', `No ticket ${ticketId}`);
  return json(200, ticketDetail(ticket));
});

export const ticketGet = httpFunction('ticketGet', {
  route: 'tickets/{ticketId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: ticketGetHandler,
});
