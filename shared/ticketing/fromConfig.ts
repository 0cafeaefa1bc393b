import type { Logger } from 'pino';

import type { TicketSettings } from '../config';
import { JiraProvider } from './jira';
import type { TicketProvider } from './port';
import { ServiceNowProvider } from './servicenow';
import { WebhookProvider } from './webhook';

/**
 * The ticket provider `TICKET_PROVIDER` names, built from validated settings. The built-in provider needs storage, so
 * the composition root passes its factory in; it is called only when `builtin` is chosen.
 */
export function createTicketProviderFromConfig(
  settings: TicketSettings,
  builtin: () => TicketProvider,
  logger?: Logger,
): TicketProvider {
  const common = { timeoutMs: settings.timeoutMs, ...(logger === undefined ? {} : { logger }) };
  switch (settings.provider) {
    case 'builtin':
      return builtin();
    case 'servicenow':
      return new ServiceNowProvider({ ...required(settings.servicenow, 'servicenow'), ...common });
    case 'jira':
      return new JiraProvider({ ...required(settings.jira, 'jira'), ...common });
    case 'webhook': {
      const webhook = required(settings.webhook, 'webhook');
      return new WebhookProvider({ url: webhook.url, secrets: webhook.secrets, ...common });
    }
  }
}

function required<T>(value: T | undefined, provider: string): T {
  // loadConfig builds the chosen provider's block or throws; this guards hand-built settings in tests.
  if (value === undefined) throw new Error(`TICKET_PROVIDER is ${provider} but its settings are missing`);
  return value;
}
