import type { WhyBlockedDeps } from '../conditional-access/whyBlocked';
import { GraphConditionalAccess } from '../graph/conditionalAccess';
import { GraphSignIns } from '../graph/signIns';
import type { Services } from './services';

/** Wires the Conditional Access helpers' ports to Graph and storage; the HTTP routes and timers share it. */
export function caGraph(services: Services): GraphConditionalAccess {
  return new GraphConditionalAccess(services.graph.scoped(), services.config.graph.baseUrl);
}

export function whyBlockedDeps(services: Services): WhyBlockedDeps {
  const ca = caGraph(services);
  return {
    signIns: new GraphSignIns(services.graph.scoped(), services.config.graph.baseUrl),
    policies: ca,
    directory: ca,
    now: () => new Date(),
  };
}
