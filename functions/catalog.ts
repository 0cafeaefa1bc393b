import type { FunctionDefinition } from '../shared/runtime/definitions';
import { health } from './health';

/** Every function of the app, in one list: registered with Azure by index.ts and run by the local host. */
export const allFunctions: readonly FunctionDefinition[] = [health];
