/**
 * One list of functions, two hosts, so nothing is declared twice: every trigger file exports one `FunctionDefinition`;
 * functions/index.ts registers the list with `app.*` for Azure, and local/host runs the very same objects.
 */

import type {
  EventGridFunctionOptions,
  HttpFunctionOptions,
  StorageBlobFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';

export type FunctionDefinition =
  | { readonly kind: 'http'; readonly name: string; readonly options: HttpFunctionOptions }
  | { readonly kind: 'timer'; readonly name: string; readonly options: TimerFunctionOptions }
  | { readonly kind: 'storageBlob'; readonly name: string; readonly options: StorageBlobFunctionOptions }
  | { readonly kind: 'storageQueue'; readonly name: string; readonly options: StorageQueueFunctionOptions }
  | { readonly kind: 'eventGrid'; readonly name: string; readonly options: EventGridFunctionOptions };

export const httpFunction = (name: string, options: HttpFunctionOptions): FunctionDefinition => ({ kind: 'http', name, options });
export const timerFunction = (name: string, options: TimerFunctionOptions): FunctionDefinition => ({
  kind: 'timer',
  name,
  options,
});
export const blobFunction = (name: string, options: StorageBlobFunctionOptions): FunctionDefinition => ({
  kind: 'storageBlob',
  name,
  options,
});
export const queueFunction = (name: string, options: StorageQueueFunctionOptions): FunctionDefinition => ({
  kind: 'storageQueue',
  name,
  options,
});
export const eventGridFunction = (name: string, options: EventGridFunctionOptions): FunctionDefinition => ({
  kind: 'eventGrid',
  name,
  options,
});
