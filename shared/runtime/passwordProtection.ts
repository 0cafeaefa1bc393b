import { GraphDirectorySettings } from '../graph/directorySettings';
import type { BannedWordsDeps } from '../password-protection/manage';
import type { Services } from './services';

/** Wires the banned-password list to Graph's directory settings and the audit table. */
export function bannedWordsDeps(services: Services): BannedWordsDeps {
  return { settings: new GraphDirectorySettings(services.graph.scoped()), audit: services.audit };
}
