import { app } from '@azure/functions';

import { loadConfig } from '../shared/config';
import type { FunctionDefinition } from '../shared/runtime/definitions';
import { allFunctions } from './catalog';

/** The Azure entry point (package.json `main`): validate settings once at start-up, then register every function. */
loadConfig(process.env);

function register(def: FunctionDefinition): void {
  switch (def.kind) {
    case 'http':
      return app.http(def.name, def.options);
    case 'timer':
      return app.timer(def.name, def.options);
    case 'storageBlob':
      return app.storageBlob(def.name, def.options);
    case 'storageQueue':
      return app.storageQueue(def.name, def.options);
    case 'eventGrid':
      return app.eventGrid(def.name, def.options);
  }
}

// Bodies stream into the app, so size limits are enforced while reading (readBodyCapped, the CSV upload), never
// after the worker has buffered a whole request.
app.setup({ enableHttpStream: true });
allFunctions.forEach(register);
