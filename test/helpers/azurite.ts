/**
 * One in-memory Azurite on free ports per test file: call at the top level of a test file (or a describe block);
 * read `.current` inside tests. Stopped in afterAll, so no process outlives the file.
 */

import { afterAll, beforeAll } from 'vitest';

import { type AzuriteInstance, startAzurite } from '../../local/azurite';

export function useAzurite(): { readonly current: AzuriteInstance } {
  let instance: AzuriteInstance | undefined;
  beforeAll(async () => {
    instance = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await instance?.stop();
    instance = undefined;
  });
  return {
    get current(): AzuriteInstance {
      if (!instance)
        throw new Error('Azurite is not running: use useAzurite() at file or describe level and read .current inside tests');
      return instance;
    },
  };
}

export { type AzuriteInstance, startAzurite };
