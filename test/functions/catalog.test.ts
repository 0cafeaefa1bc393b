import { describe, expect, it } from 'vitest';

import { allFunctions } from '../../functions/catalog';

/** HTTP routes are locked down (never anonymous), GET reads, POST/PUT/DELETE write; one definition per name. */
describe('function catalog', () => {
  it('gives every function a unique name', () => {
    const names = allFunctions.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
  });

  // The console's page, script, stylesheet and public sign-in config are the same for everyone and carry no data; its
  // API door authenticates every call in the app (Entra bearer token and app role), since a browser holds no key.
  const PUBLIC_ASSETS = new Set([
    'consoleAssets',
    'consoleConfig',
    'consoleApiGet',
    'consoleApiPost',
    'consoleApiPut',
    'consoleApiDelete',
  ]);

  it('never exposes an anonymous HTTP route except the console assets', () => {
    for (const def of allFunctions) {
      if (def.kind !== 'http' || PUBLIC_ASSETS.has(def.name)) continue;
      expect({ name: def.name, authLevel: def.options.authLevel }).toEqual({ name: def.name, authLevel: 'function' });
    }
  });

  it('gives each HTTP route explicit methods, one verb per function', () => {
    for (const def of allFunctions) {
      if (def.kind !== 'http') continue;
      expect(def.options.methods, def.name).toHaveLength(1);
      expect(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], def.name).toContain(def.options.methods?.[0]);
      expect(def.options.route, def.name).toBeTruthy();
      expect(def.options.route, def.name).not.toMatch(/^\/?api\//);
    }
  });

  it('keeps the anonymous console routes to GET under console/', () => {
    for (const def of allFunctions) {
      if (def.kind !== 'http' || !PUBLIC_ASSETS.has(def.name)) continue;
      expect({ route: def.options.route, methods: def.options.methods }).toMatchObject({
        route: expect.stringMatching(/^console\//) as unknown,
      });
      if (def.name.startsWith('consoleApi')) expect(def.options.route).toBe('console/api/{*path}');
      else expect(def.options.methods).toEqual(['GET']);
    }
  });

  it('connects storage triggers through the one storage setting', () => {
    for (const def of allFunctions) {
      if (def.kind === 'storageQueue' || def.kind === 'storageBlob') {
        expect({ name: def.name, connection: def.options.connection }).toEqual({
          name: def.name,
          connection: 'AzureWebJobsStorage',
        });
      }
    }
  });

  it('uses the Event Grid source for blob triggers (required on Flex Consumption)', () => {
    for (const def of allFunctions) {
      if (def.kind === 'storageBlob')
        expect({ name: def.name, source: def.options.source }).toEqual({ name: def.name, source: 'EventGrid' });
    }
  });

  it('takes timer schedules from app settings', () => {
    for (const def of allFunctions) {
      if (def.kind === 'timer') expect(def.options.schedule, def.name).toMatch(/^%[A-Z_]+%$/);
    }
  });
});
