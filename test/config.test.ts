import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../shared/config';

const minimal = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('loadConfig', () => {
  it('applies safe defaults: public Graph cloud with managed identity', () => {
    const config = loadConfig(minimal);
    expect(config.graph).toMatchObject({ baseUrl: 'https://graph.microsoft.com', auth: 'managedIdentity', maxConcurrency: 8 });
    expect(config.phones).toMatchObject({ overwrite: false, chunkSize: 100 });
    expect(config.phones.defaultRegion).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('fails with one message naming every bad setting', () => {
    let error: unknown;
    try {
      loadConfig({ GRAPH_MAX_CONCURRENCY: 'lots', PHONE_DEFAULT_REGION: 'USA', SMS_SIGNIN_GROUP_ID: 'not-a-guid' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const key of ['AzureWebJobsStorage', 'GRAPH_MAX_CONCURRENCY', 'PHONE_DEFAULT_REGION', 'SMS_SIGNIN_GROUP_ID']) {
      expect(message).toContain(key);
    }
  });

  it('accepts identity-based storage settings instead of a connection string', () => {
    const config = loadConfig({ AzureWebJobsStorage__accountName: 'entraops', AzureWebJobsStorage__clientId: 'abc' });
    expect(config.storage).toEqual({ accountName: 'entraops', clientId: 'abc' });
  });

  it('refuses static Graph tokens anywhere but a loopback sandbox', () => {
    expect(() => loadConfig({ ...minimal, GRAPH_AUTH: 'static', GRAPH_STATIC_TOKEN: 't' })).toThrow(/GRAPH_AUTH/);
    expect(() => loadConfig({ ...minimal, GRAPH_AUTH: 'static', GRAPH_BASE_URL: 'http://127.0.0.1:7072' })).toThrow(
      /GRAPH_STATIC_TOKEN/,
    );
    const local = loadConfig({
      ...minimal,
      GRAPH_AUTH: 'static',
      GRAPH_STATIC_TOKEN: 't',
      GRAPH_BASE_URL: 'http://127.0.0.1:7072/',
    });
    expect(local.graph.baseUrl).toBe('http://127.0.0.1:7072');
  });

  it('parses booleans and normalises the default region', () => {
    const config = loadConfig({ ...minimal, PHONE_OVERWRITE: 'true', PHONE_DEFAULT_REGION: 'gb', REQUIRE_APP_ROLES: '1' });
    expect(config.phones.overwrite).toBe(true);
    expect(config.phones.defaultRegion).toBe('GB');
    expect(config.http.requireAppRoles).toBe(true);
  });

  it('treats empty optional settings as unset, as local.settings.json leaves them', () => {
    const config = loadConfig({ ...minimal, SMS_SIGNIN_GROUP_ID: '', GRAPH_STATIC_TOKEN: '' });
    expect(config.phones.smsSignInGroupId).toBeUndefined();
  });
});
