import { describe, expect, it } from 'vitest';

import { GraphError } from '../../shared/graph/errors';
import { graphPath } from '../../shared/graph/types';
import { buildQuery, directoryObjectUrl, normaliseBaseUrl, requestUrl, trustedLink } from '../../shared/graph/urls';

const BASE = 'https://graph.microsoft.com';

describe('requestUrl', () => {
  it('puts paths under the v1.0 root with a readable OData query', () => {
    expect(requestUrl(BASE, '/groups/g1/members', { $top: '999', $select: 'id,displayName' })).toBe(
      'https://graph.microsoft.com/v1.0/groups/g1/members?$top=999&$select=id%2CdisplayName',
    );
  });

  it('encodes filter values', () => {
    expect(buildQuery({ $filter: "userPrincipalName eq 'a&b@x.com'" })).toBe("?$filter=userPrincipalName%20eq%20'a%26b%40x.com'");
  });

  it('accepts a next link on the base URL verbatim', () => {
    const link = `${BASE}/v1.0/users?$skiptoken=abc%3D`;
    expect(requestUrl(BASE, link)).toBe(link);
  });

  it('refuses a query next to an absolute link', () => {
    expect(() => requestUrl(BASE, `${BASE}/v1.0/users`, { $top: '1' })).toThrow(GraphError);
  });

  it('refuses relative paths without a leading slash or with dot segments', () => {
    for (const p of ['users', '//evil.example/x', '/users/../groups', '/./users'])
      expect(() => requestUrl(BASE, p)).toThrow(GraphError);
  });
});

describe('trustedLink', () => {
  it.each([
    'https://evil.example/v1.0/users',
    'https://graph.microsoft.com.evil.example/v1.0/users',
    'http://graph.microsoft.com/v1.0/users',
    'https://graph.microsoft.com:444/v1.0/users',
    'https://user:pw@graph.microsoft.com/v1.0/users',
    'https://graph.microsoft.com/beta/users',
  ])('refuses %s, which would send the token elsewhere', (link) => {
    expect(() => trustedLink(BASE, link)).toThrow(/Refusing to follow/);
  });
});

describe('normaliseBaseUrl', () => {
  it('drops trailing slashes and refuses non-http URLs', () => {
    expect(normaliseBaseUrl('http://127.0.0.1:7072/')).toBe('http://127.0.0.1:7072');
    expect(() => normaliseBaseUrl('ftp://x')).toThrow(GraphError);
    expect(() => normaliseBaseUrl('http://graph.microsoft.com')).toThrow(/must be https/);
    expect(normaliseBaseUrl('http://localhost:7072')).toBe('http://localhost:7072');
    expect(() => normaliseBaseUrl('https://graph.microsoft.com/?x=1')).toThrow(GraphError);
  });
});

describe('graphPath', () => {
  it('encodes interpolated segments', () => {
    expect(graphPath`/users/${'a/b#c@x.com'}/authentication/phoneMethods`).toBe(
      '/users/a%2Fb%23c%40x.com/authentication/phoneMethods',
    );
  });
});

describe('directoryObjectUrl', () => {
  it('points member references at the gateway cloud, national and local alike', () => {
    expect(directoryObjectUrl('https://graph.microsoft.us/', 'a b')).toBe(
      'https://graph.microsoft.us/v1.0/directoryObjects/a%20b',
    );
    expect(directoryObjectUrl('http://127.0.0.1:7072', '1')).toBe('http://127.0.0.1:7072/v1.0/directoryObjects/1');
  });
});
