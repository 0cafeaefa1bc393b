import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { at, call, errorCode, groupId, items, start, tenant, user, userId } from './helpers';

const MOBILE = '3179e48a-750b-4051-897c-87b9720928f7';
const phones = (n: number): string => `/users/${userId(n)}/authentication/phoneMethods`;

describe('sandbox authentication methods', () => {
  let sb: GraphSandbox;
  beforeAll(async () => {
    const t = tenant({
      users: 8,
      // Group 1 (SMS sign-in target) holds group 2, which holds users 1-4: targeting is transitive.
      groups: [{ members: [groupId(2)] }, { members: [userId(1), userId(2), userId(3), userId(4)] }],
      extra: {
        authenticationMethodsPolicy: {
          id: 'authenticationMethodsPolicy',
          authenticationMethodConfigurations: [
            {
              '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
              id: 'TemporaryAccessPass',
              state: 'enabled',
              defaultLifetimeInMinutes: 60,
              defaultLength: 12,
              minimumLifetimeInMinutes: 60,
              maximumLifetimeInMinutes: 480,
              isUsableOnce: false,
              includeTargets: [{ targetType: 'group', id: groupId(2), isRegistrationRequired: false }],
              excludeTargets: [],
            },
            {
              '@odata.type': '#microsoft.graph.smsAuthenticationMethodConfiguration',
              id: 'Sms',
              state: 'enabled',
              includeTargets: [{ targetType: 'group', id: groupId(1), isRegistrationRequired: false, isUsableForSignIn: true }],
              excludeTargets: [],
            },
          ],
        },
      },
    });
    t.users?.push(
      user(9, {
        userType: 'Guest',
        creationType: 'Invitation',
        externalUserState: 'Accepted',
        userPrincipalName: 'guest_x.test#EXT#@contoso.test',
      }),
    );
    sb = await start(t);
  });
  afterAll(async () => sb.close());
  beforeEach(async () => {
    await call(sb, 'POST', '/_sandbox/reset');
    await call(sb, 'POST', '/_sandbox/knobs', { body: { throttling: { enabled: false, tenantSize: 'auto' } } });
  });

  it('creates a mobile method with its fixed id and refuses a second one', async () => {
    const r = await call(sb, 'POST', phones(1), { body: { phoneNumber: '+1 4255550101', phoneType: 'mobile' } });
    expect(r.status).toBe(201);
    expect(at(r.body, 'id')).toBe(MOBILE);
    const again = await call(sb, 'POST', phones(1), { body: { phoneNumber: '+1 4255550102', phoneType: 'mobile' } });
    expect(again.status).toBe(400);
  });

  it('requires mobile before alternateMobile', async () => {
    const r = await call(sb, 'POST', phones(5), { body: { phoneNumber: '+1 4255550103', phoneType: 'alternateMobile' } });
    expect(r.status).toBe(400);
    await call(sb, 'POST', phones(5), { body: { phoneNumber: '+1 4255550104', phoneType: 'mobile' } });
    expect(
      (await call(sb, 'POST', phones(5), { body: { phoneNumber: '+1 4255550103', phoneType: 'alternateMobile' } })).status,
    ).toBe(201);
    expect((await call(sb, 'DELETE', `${phones(5)}/${MOBILE}`)).status).toBe(400);
  });

  it('rejects numbers that do not match +{cc} {number}[x{ext}]', async () => {
    for (const bad of ['+14255550100', '4255550100', '+1 425-555-0100', '+1 4255550100 ext 5']) {
      expect((await call(sb, 'POST', phones(2), { body: { phoneNumber: bad, phoneType: 'mobile' } })).status).toBe(400);
    }
    expect((await call(sb, 'POST', phones(2), { body: { phoneNumber: '+44 7700900123x12', phoneType: 'mobile' } })).status).toBe(
      201,
    );
  });

  it('registers a targeted user for SMS sign-in and reports others by policy', async () => {
    await call(sb, 'POST', phones(1), { body: { phoneNumber: '+1 4255550110', phoneType: 'mobile' } });
    expect(at((await call(sb, 'GET', `${phones(1)}/${MOBILE}`)).body, 'smsSignInState')).toBe('ready');
    await call(sb, 'POST', phones(6), { body: { phoneNumber: '+1 4255550111', phoneType: 'mobile' } });
    expect(at((await call(sb, 'GET', `${phones(6)}/${MOBILE}`)).body, 'smsSignInState')).toBe('notAllowedByPolicy');
    const enable = await call(sb, 'POST', `${phones(6)}/${MOBILE}/enableSmsSignIn`);
    expect(enable.status).toBe(400);
    expect(errorCode(enable)).toBe('notAllowedByPolicy');
  });

  it('keeps SMS sign-in numbers unique across users', async () => {
    await call(sb, 'POST', phones(1), { body: { phoneNumber: '+1 4255550120', phoneType: 'mobile' } });
    await call(sb, 'POST', phones(2), { body: { phoneNumber: '+1 425 555 0120', phoneType: 'mobile' } });
    expect(at((await call(sb, 'GET', `${phones(2)}/${MOBILE}`)).body, 'smsSignInState')).toBe('phoneNumberNotUnique');
    const enable = await call(sb, 'POST', `${phones(2)}/${MOBILE}/enableSmsSignIn`);
    expect(enable.status).toBe(400);
    expect(errorCode(enable)).toBe('phoneNumberNotUnique');
    expect((await call(sb, 'POST', `${phones(1)}/${MOBILE}/disableSmsSignIn`)).status).toBe(204);
    expect((await call(sb, 'POST', `${phones(2)}/${MOBILE}/enableSmsSignIn`)).status).toBe(204);
    expect(at((await call(sb, 'GET', `${phones(2)}/${MOBILE}`)).body, 'smsSignInState')).toBe('ready');
  });

  it('reports notSupported for non-mobile types and updates numbers with PATCH', async () => {
    await call(sb, 'POST', phones(3), { body: { phoneNumber: '+1 4255550130', phoneType: 'office' } });
    const list = items((await call(sb, 'GET', phones(3))).body);
    expect(list[0]?.smsSignInState).toBe('notSupported');
    const officeId = list[0]?.id as string;
    expect((await call(sb, 'PATCH', `${phones(3)}/${officeId}`, { body: { phoneNumber: '+1 4255550131' } })).status).toBe(204);
    expect(at((await call(sb, 'GET', `${phones(3)}/${officeId}`)).body, 'phoneNumber')).toBe('+1 4255550131');
    expect(
      (await call(sb, 'PATCH', `${phones(3)}/${officeId}`, { body: { phoneType: 'mobile', phoneNumber: '+1 4255550131' } }))
        .status,
    ).toBe(400);
  });

  it('creates a TAP once, then never returns the pass again', async () => {
    const r = await call(sb, 'POST', `/users/${userId(1)}/authentication/temporaryAccessPassMethods`, {
      body: { lifetimeInMinutes: 120 },
    });
    expect(r.status).toBe(201);
    expect(at(r.body, 'temporaryAccessPass')).toMatch(/^.{12}$/);
    const list = items((await call(sb, 'GET', `/users/${userId(1)}/authentication/temporaryAccessPassMethods`)).body);
    expect(list).toHaveLength(1);
    expect(list[0]?.temporaryAccessPass).toBeNull();
    expect(list[0]?.isUsable).toBe(true);
    const second = await call(sb, 'POST', `/users/${userId(1)}/authentication/temporaryAccessPassMethods`, { body: {} });
    expect(second.status).toBe(201);
    const after = items((await call(sb, 'GET', `/users/${userId(1)}/authentication/temporaryAccessPassMethods`)).body);
    expect(after.map((m) => m.id)).toEqual([at(second.body, 'id')]);
    const methods = items((await call(sb, 'GET', `/users/${userId(1)}/authentication/methods`)).body).map(
      (m) => m['@odata.type'],
    );
    expect(methods).toContain('#microsoft.graph.temporaryAccessPassAuthenticationMethod');
    expect(methods).toContain('#microsoft.graph.passwordAuthenticationMethod');
  });

  it('refuses TAPs that conflict with the policy', async () => {
    const tap = (n: number, body: unknown): Promise<{ status: number; body: unknown }> =>
      call(sb, 'POST', `/users/${userId(n)}/authentication/temporaryAccessPassMethods`, { body });
    expect((await tap(6, {})).status).toBe(400); // not targeted
    expect((await tap(1, { lifetimeInMinutes: 30 })).status).toBe(400); // below minimum
    expect((await tap(1, { lifetimeInMinutes: 600 })).status).toBe(400); // above maximum
    const guest = await tap(9, {});
    expect(guest.status).toBe(400);
    expect(at(guest.body, 'error', 'message')).toBe('Temporary Access Pass cannot be added to an external guest user.');
    const policy = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/temporaryAccessPass';
    expect(
      (
        await call(sb, 'PATCH', policy, {
          body: { '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration', isUsableOnce: true },
        })
      ).status,
    ).toBe(204);
    const multi = await tap(1, { isUsableOnce: false });
    expect(multi.status).toBe(400);
    expect(at(multi.body, 'error', 'message')).toContain('isUsableOnce');
    expect((await tap(1, { isUsableOnce: true })).status).toBe(201);
    await call(sb, 'PATCH', policy, { body: { state: 'disabled' } });
    expect((await tap(1, {})).status).toBe(400);
    expect(at((await call(sb, 'GET', policy)).body, 'state')).toBe('disabled');
  });
});
