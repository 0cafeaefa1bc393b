import { checkHealth } from '../shared/health';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { checkRiskHealth } from '../shared/risk/health';
import { httpFunction } from '../shared/runtime/definitions';
import { ticketProviderFor } from '../shared/runtime/risk';
import { TableRiskState } from '../shared/storage/riskState';

export const healthHandler = httpHandler(async ({ services }) => {
  const report = await checkHealth(services.graph, services.storage, () =>
    checkRiskHealth(new TableRiskState(services.storage), ticketProviderFor(services)),
  );
  return json(report.status === 'ok' ? 200 : 503, report, { 'cache-control': 'no-store' });
});

export const health = httpFunction('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'function',
  handler: healthHandler,
});
