import { createRequire } from 'node:module';

import { HttpRequest, InvocationContext } from '@azure/functions';
import type * as ExtensionsBase from '@azure/functions-extensions-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { allFunctions } from '../../functions/catalog';
import { phoneImportBlob } from '../../functions/phoneImportBlob';
import { phoneImportPostHandler } from '../../functions/phoneImportPost';
import { phoneImportWorker, phoneImportWorkerHandler } from '../../functions/phoneImportWorker';
import { setServices } from '../../shared/runtime/services';

describe('phone import trigger definitions', () => {
  it('wires the blob trigger as the Event Grid-based trigger Flex Consumption needs, with deferred binding', () => {
    expect(phoneImportBlob).toMatchObject({
      kind: 'storageBlob',
      options: {
        path: 'phone-imports/incoming/{name}',
        connection: 'AzureWebJobsStorage',
        source: 'EventGrid',
        sdkBinding: true,
      },
    });
    const { ResourceFactoryResolver } = createRequire(__filename)('@azure/functions-extensions-base') as typeof ExtensionsBase;
    expect(ResourceFactoryResolver.getInstance().hasResourceFactory('AzureStorageBlobs')).toBe(true);
  });

  it('registers the blob, queue and both HTTP functions in the catalog', () => {
    const names = allFunctions.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['phoneImportBlob', 'phoneImportWorker', 'phoneImportPost', 'phoneImportGet']));
    expect(phoneImportWorker).toMatchObject({
      kind: 'storageQueue',
      options: { queueName: 'phone-import-chunks', connection: 'AzureWebJobsStorage' },
    });
  });
});

describe('phoneImportWorkerHandler', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_AUTH: 'static',
      GRAPH_STATIC_TOKEN: 't',
      GRAPH_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
    });
    setServices(undefined);
  });
  afterAll(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    setServices(undefined);
  });

  it('refuses an upload whose declared size is over PHONE_MAX_FILE_BYTES before reading it', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/phone-imports',
      headers: { 'content-type': 'text/csv', 'content-length': String(200 * 1024 * 1024) },
      body: { string: 'UserName,PhoneNumber\n' },
    });
    const res = await phoneImportPostHandler(
      request,
      new InvocationContext({ invocationId: 'inv', functionName: 'phoneImportPost' }),
    );
    expect(res.status).toBe(413);
    expect(res.jsonBody).toMatchObject({ error: { code: 'FILE_TOO_LARGE', details: { limit: 64 * 1024 * 1024 } } });
  });

  it('accepts text/csv only: text/plain and form types are what a web page can POST cross-site without a preflight', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/csvx', '']) {
      const res = await phoneImportPostHandler(
        new HttpRequest({
          method: 'POST',
          url: 'http://localhost/api/phone-imports',
          headers: type ? { 'content-type': type } : {},
          body: { string: 'UserName,PhoneNumber\n' },
        }),
        new InvocationContext({ invocationId: 'inv', functionName: 'phoneImportPost' }),
      );
      expect([type, res.status]).toEqual([type, 415]);
    }
  });

  it('drops a message that can never parse instead of retrying it into the poison queue', async () => {
    const context = new InvocationContext({
      invocationId: 'inv',
      functionName: 'phoneImportWorker',
      triggerMetadata: { id: 'm1', dequeueCount: 1 },
    });
    await expect(phoneImportWorkerHandler({ importId: 'not-an-id', chunk: -1 }, context)).resolves.toBeUndefined();
  });
});
