import type { InvocationContext } from '@azure/functions';

import { type Logger, loggerFor } from '../log';
import { getServices, type Services } from './services';

export interface Invocation {
  readonly services: Services;
  readonly log: Logger;
}

/** Services plus the invocation's child logger (invocation id, function name and any run bindings on every line). */
export function invocation(context: InvocationContext, bindings: Record<string, unknown> = {}): Invocation {
  const services = getServices();
  return { services, log: loggerFor(context, services.config.logLevel, bindings) };
}
