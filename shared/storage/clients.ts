/**
 * Tables, Blobs and Queues from one connection setting (`AzureWebJobsStorage`): a connection string locally
 * (Azurite), identity-based `AzureWebJobsStorage__*` settings in Azure, the same ones the Functions host uses.
 * Tables, containers and queues are created on first use, once per process.
 */

import { TableClient, TableServiceClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import type { StorageSettings } from '../config';

export interface StorageClients {
  table(name: string): Promise<TableClient>;
  container(name: string): Promise<ContainerClient>;
  queue(name: string): Promise<QueueClient>;
  /** Sends JSON the way the Functions queue trigger reads it by default (base64, host.json `messageEncoding`). */
  enqueueJson(queueName: string, payload: unknown, options?: { visibilityTimeoutSeconds?: number }): Promise<void>;
  readonly blobService: BlobServiceClient;
  readonly tableService: TableServiceClient;
  readonly queueService: QueueServiceClient;
}

const isLocal = (url: string) => /^http:\/\/(127\.0\.0\.1|localhost)/.test(url);

function identityCredential(settings: StorageSettings): TokenCredential {
  return settings.clientId ? new ManagedIdentityCredential({ clientId: settings.clientId }) : new DefaultAzureCredential();
}

function serviceUris(settings: StorageSettings): { blob: string; queue: string; table: string } {
  const account = settings.accountName;
  const blob = settings.blobServiceUri ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  const queue = settings.queueServiceUri ?? (account ? `https://${account}.queue.core.windows.net` : undefined);
  const table = settings.tableServiceUri ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  if (!blob || !queue || !table) {
    throw new Error('AzureWebJobsStorage__accountName (or all three AzureWebJobsStorage__*ServiceUri settings) must be set');
  }
  return { blob, queue, table };
}

interface ServiceClients {
  readonly blobService: BlobServiceClient;
  readonly queueService: QueueServiceClient;
  readonly tableService: TableServiceClient;
  readonly tableFor: (name: string) => TableClient;
}

function clientsFromConnectionString(cs: string): ServiceClients {
  const allowInsecureConnection = /Endpoint=http:/i.test(cs) || /UseDevelopmentStorage=true/i.test(cs);
  return {
    blobService: BlobServiceClient.fromConnectionString(cs),
    queueService: QueueServiceClient.fromConnectionString(cs),
    tableService: TableServiceClient.fromConnectionString(cs, { allowInsecureConnection }),
    tableFor: (name) => TableClient.fromConnectionString(cs, name, { allowInsecureConnection }),
  };
}

function clientsFromIdentity(settings: StorageSettings, credential: TokenCredential | undefined): ServiceClients {
  const uris = serviceUris(settings);
  const cred = credential ?? identityCredential(settings);
  return {
    blobService: new BlobServiceClient(uris.blob, cred),
    queueService: new QueueServiceClient(uris.queue, cred),
    tableService: new TableServiceClient(uris.table, cred, { allowInsecureConnection: isLocal(uris.table) }),
    tableFor: (name) => new TableClient(uris.table, name, cred, { allowInsecureConnection: isLocal(uris.table) }),
  };
}

/** Runs each creation once per key; a failed creation (e.g. storage not up yet) is not cached, so the next use retries. */
function onceper(): <T>(key: string, create: () => Promise<T>) => Promise<T> {
  const ensured = new Map<string, Promise<unknown>>();
  return <T>(key: string, create: () => Promise<T>): Promise<T> => {
    let p = ensured.get(key) as Promise<T> | undefined;
    if (!p) {
      p = create();
      p.catch(() => ensured.delete(key));
      ensured.set(key, p);
    }
    return p;
  };
}

export function createStorageClients(settings: StorageSettings, credential?: TokenCredential): StorageClients {
  const { blobService, queueService, tableService, tableFor } = settings.connectionString
    ? clientsFromConnectionString(settings.connectionString)
    : clientsFromIdentity(settings, credential);
  const once = onceper();
  const queue = (name: string) =>
    once(`q:${name}`, async () => {
      const client = queueService.getQueueClient(name);
      await client.createIfNotExists();
      return client;
    });

  return {
    blobService,
    queueService,
    tableService,
    table: (name) =>
      once(`t:${name}`, async () => {
        const client = tableFor(name);
        await client.createTable();
        return client;
      }),
    container: (name) =>
      once(`c:${name}`, async () => {
        const client = blobService.getContainerClient(name);
        await client.createIfNotExists();
        return client;
      }),
    queue,
    async enqueueJson(queueName, payload, options) {
      const client = await queue(queueName);
      const text = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
      await client.sendMessage(
        text,
        options?.visibilityTimeoutSeconds ? { visibilityTimeout: options.visibilityTimeoutSeconds } : {},
      );
    },
  };
}
