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
    const config = loadConfig({
      ...minimal,
      PHONE_OVERWRITE: 'true',
      PHONE_DEFAULT_REGION: 'gb',
      REQUIRE_APP_ROLES: '1',
      WEBSITE_AUTH_ENABLED: 'True',
    });
    expect(config.phones.overwrite).toBe(true);
    expect(config.phones.defaultRegion).toBe('GB');
    expect(config.http.requireAppRoles).toBe(true);
  });

  it('treats empty optional settings as unset, as local.settings.json leaves them', () => {
    const config = loadConfig({ ...minimal, SMS_SIGNIN_GROUP_ID: '', GRAPH_STATIC_TOKEN: '' });
    expect(config.phones.smsSignInGroupId).toBeUndefined();
  });

  it('refuses REQUIRE_APP_ROLES when no caller could prove a role (no bearer validation, no App Service auth)', () => {
    expect(() => loadConfig({ ...minimal, REQUIRE_APP_ROLES: 'true' })).toThrow(/REQUIRE_APP_ROLES/);
    expect(() => loadConfig({ ...minimal, REQUIRE_APP_ROLES: 'true', WEBSITE_AUTH_ENABLED: 'False' })).toThrow(
      /REQUIRE_APP_ROLES/,
    );
    expect(loadConfig({ ...minimal, REQUIRE_APP_ROLES: 'true', WEBSITE_AUTH_ENABLED: 'True' }).http.auth).toEqual({
      appServiceAuth: true,
    });
    const bearer = loadConfig({
      ...minimal,
      REQUIRE_APP_ROLES: 'true',
      AUTH_TENANT_ID: '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
      AUTH_AUDIENCE: 'api://entra-ops, 2f9e0a3c-1d2b-4c5d-8e7f-9a0b1c2d3e4f',
    });
    expect(bearer.http.auth.bearer).toEqual({
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      audiences: ['api://entra-ops', '2f9e0a3c-1d2b-4c5d-8e7f-9a0b1c2d3e4f'],
      authorityHost: 'https://login.microsoftonline.com',
      clockSkewSeconds: 300,
    });
  });

  it('needs AUTH_TENANT_ID and AUTH_AUDIENCE together, and an https authority host', () => {
    expect(() => loadConfig({ ...minimal, AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47' })).toThrow(/AUTH_AUDIENCE/);
    expect(() =>
      loadConfig({
        ...minimal,
        AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        AUTH_AUDIENCE: 'api://x',
        AUTH_AUTHORITY_HOST: 'http://login.example.com',
      }),
    ).toThrow(/AUTH_AUTHORITY_HOST/);
    const sovereign = loadConfig({
      ...minimal,
      AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      AUTH_AUDIENCE: 'api://x',
      AUTH_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
    });
    expect(sovereign.http.auth.bearer?.authorityHost).toBe('https://login.microsoftonline.us');
  });

  it('refuses a plain-http GRAPH_BASE_URL unless its host is loopback', () => {
    for (const url of ['http://graph.microsoft.com', 'http://10.0.0.5:8080', 'http://127.0.0.1.evil.example'])
      expect(() => loadConfig({ ...minimal, GRAPH_BASE_URL: url })).toThrow(/GRAPH_BASE_URL must be https/);
    for (const url of ['https://graph.microsoft.us', 'http://127.0.0.1:7072', 'http://localhost:7072', 'http://[::1]:7072'])
      expect(loadConfig({ ...minimal, GRAPH_BASE_URL: url }).graph.baseUrl).toBe(url);
  });
});
