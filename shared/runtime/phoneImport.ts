import { GraphPhoneMethods } from '../graph/phoneMethods';
import { GraphPrivilegedUsers } from '../graph/privilegedUsers';
import type { Graph } from '../graph/types';
import { GraphPhoneDirectory } from '../graph/users';
import type { Logger } from '../log';
import { PHONE_CONTAINER } from '../phones/files';
import type { ImportFileDeps } from '../phones/importFile';
import type { ProcessChunkDeps } from '../phones/processChunk';
import type { SweepDeps } from '../phones/recover';
import { BlobImportFiles } from '../storage/phoneImportBlobs';
import { phoneImportStores } from '../storage/phoneImportStore';
import type { Services } from './services';

/** Wires the phone import's ports to the real adapters; the three triggers and the bench share it. */
export function phoneImportDeps(
  services: Services,
  log: Logger,
  graph: Graph = services.graph.scoped({ logger: log }),
): ImportFileDeps & Omit<ProcessChunkDeps, 'owner'> & Omit<SweepDeps, 'clock'> {
  return {
    files: new BlobImportFiles(() => services.storage.container(PHONE_CONTAINER)),
    ...phoneImportStores(services.storage),
    directory: new GraphPhoneDirectory(graph, services.config.graph.baseUrl),
    methods: new GraphPhoneMethods(graph),
    privileged: new GraphPrivilegedUsers(graph),
    settings: services.config.phones,
    audit: services.audit,
    log,
  };
}
