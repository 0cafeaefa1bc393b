import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { overviewOf } from '../shared/overview';
import { recentImports } from '../shared/phones/history';
import { httpFunction } from '../shared/runtime/definitions';
import { phoneReadDeps, syncReadDeps } from '../shared/runtime/readModels';
import { TableTicketRepository } from '../shared/storage/riskTickets';
import { syncActivity } from '../shared/sync/history';

/** `GET /api/overview`: the last 24 h of sync runs (Graph requests, throttling, problems), imports in progress, open tickets. */
export const overviewHandler = httpHandler(async ({ services }) => {
  const now = new Date();
  const [sync, imports, open] = await Promise.all([
    syncActivity(syncReadDeps(services).history, now),
    recentImports(20, phoneReadDeps(services)),
    new TableTicketRepository(services.storage).list({ state: 'open' }),
  ]);
  return json(200, overviewOf(now, sync, imports, open.length), { 'cache-control': 'no-store' });
});

export const overview = httpFunction('overview', {
  route: 'overview',
  methods: ['GET'],
  authLevel: 'function',
  handler: overviewHandler,
});
