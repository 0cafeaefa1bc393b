import { httpHandler } from '../shared/http/handler';
import { readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { ticketListQuery, ticketSummary } from '../shared/risk/model';
import { httpFunction } from '../shared/runtime/definitions';
import { TableTicketRepository } from '../shared/storage/riskTickets';

/** GET /api/tickets[?userId=&state=open|resolved&kind=member|guest]: risk tickets, newest first. */
export const ticketsListHandler = httpHandler(async ({ request, services }) => {
  const query = readQuery(request, ticketListQuery);
  const tickets = await new TableTicketRepository(services.storage).list(query);
  return json(200, { value: tickets.map(ticketSummary) });
});

export const ticketsList = httpFunction('ticketsList', {
  route: 'tickets',
  methods: ['GET'],
  authLevel: 'function',
  handler: ticketsListHandler,
});
