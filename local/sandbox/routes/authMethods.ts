/**
 * users/{id}/authentication: phoneMethods (phoneauthenticationmethod*.md, rules in graph-facts §4), SMS sign-in
 * enable/disable, temporaryAccessPassMethods (authentication-post-temporaryaccesspassmethods.md) and methods.
 */
import { randomInt, randomUUID } from 'node:crypto';

import type { SandboxEnv } from '../env';
import { GraphError, resourceNotFound } from '../errors';
import type { RouteDef } from '../router';
import { normalisePhone } from '../state';
import { isJsonObject, type Json, type RouteContext } from '../types';
import { methodConfiguration } from './authPolicy';
import { collection, entity, isoNow, jsonBody, noContent, requireUser } from './common';

export const PHONE_METHOD_IDS = {
  mobile: '3179e48a-750b-4051-897c-87b9720928f7',
  alternateMobile: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
  office: 'e37fc753-ff3b-4958-9484-eaa9425c82bc',
} as const;
const PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490';

/** `+{country code} {number}x{extension}` (phoneauthenticationmethod.md); the subscriber part may contain spaces. */
const PHONE_FORMAT = /^\+[1-9]\d{0,3} \d[\d ]{2,18}\d(x\d{1,10})?$/;

/** Service plans that carry SMS sign-in (Entra ID P1 / P2; the same ids as shared/phones/licences.ts, with their source). */
const SMS_PLANS = new Set(['41781fb2-bc02-4b7c-bd55-b576c07bb09d', 'eec0eb4f-6444-4f95-aba0-50c24d67f998']);

const err400 = (code: string, message: string): GraphError => new GraphError(400, code, message);

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

/** Include/exclude targets of a method configuration, resolved transitively (`all_users` counts). */
function targeted(env: SandboxEnv, userId: string, config: Json, requireSignIn: boolean): boolean {
  let groups: Set<string> | undefined;
  const hits = (t: Json): boolean => {
    if (t.id === 'all_users') return true;
    if (t.targetType === 'user') return t.id === userId;
    groups ??= env.state.transitiveMemberOf(userId);
    return groups.has(String(t.id));
  };
  const included = list(config.includeTargets).some((t) => hits(t) && (!requireSignIn || t.isUsableForSignIn === true));
  return included && !list(config.excludeTargets).some(hits);
}

function smsLicensed(user: Json): boolean {
  return list(user.assignedPlans).some(
    (p) =>
      typeof p.servicePlanId === 'string' &&
      SMS_PLANS.has(p.servicePlanId.toLowerCase()) &&
      (p.capabilityStatus ?? 'Enabled') === 'Enabled',
  );
}

type SmsEligibility = { ok: true } | { ok: false; code: string; message: string };

function smsEligibility(env: SandboxEnv, user: Json & { id: string }): SmsEligibility {
  const config = methodConfiguration(env, 'Sms');
  if (!config || config.state !== 'enabled' || !targeted(env, user.id, config, true)) {
    return {
      ok: false,
      code: 'notAllowedByPolicy',
      message:
        'The user is not enabled for SMS sign-in by the SMS authentication method policy (include targets with isUsableForSignIn).',
    };
  }
  if (!smsLicensed(user)) {
    return {
      ok: false,
      code: 'notAllowedByPolicy',
      message: 'SMS sign-in requires a Microsoft Entra ID P1 or P2 licence assigned to the user.',
    };
  }
  return { ok: true };
}

function smsState(env: SandboxEnv, user: Json & { id: string }, m: Json): string {
  if (m.phoneType !== 'mobile') return 'notSupported';
  if (!smsEligibility(env, user).ok) return 'notAllowedByPolicy';
  if (m.smsSignInState === 'ready') return 'ready';
  const owner = env.state.smsNumbers.get(normalisePhone(String(m.phoneNumber)));
  return owner !== undefined && owner !== user.id ? 'phoneNumberNotUnique' : 'notEnabled';
}

function renderPhone(env: SandboxEnv, user: Json & { id: string }, m: Json, withType = false): Json {
  return {
    ...(withType ? { '@odata.type': '#microsoft.graph.phoneAuthenticationMethod' } : {}),
    id: m.id,
    phoneNumber: m.phoneNumber,
    phoneType: m.phoneType,
    smsSignInState: smsState(env, user, m),
  };
}

/** Registers a mobile number for SMS sign-in when policy and uniqueness allow ("the system will attempt to register"). */
function tryRegister(env: SandboxEnv, user: Json & { id: string }, m: Json): void {
  if (m.phoneType !== 'mobile' || !smsEligibility(env, user).ok) return;
  const key = normalisePhone(String(m.phoneNumber));
  const owner = env.state.smsNumbers.get(key);
  if (owner !== undefined && owner !== user.id) return;
  env.state.smsNumbers.set(key, user.id);
  m.smsSignInState = 'ready';
}

function userMethods(env: SandboxEnv, userId: string): Map<string, Json> {
  let methods = env.state.phoneMethods.get(userId);
  if (!methods) {
    methods = new Map();
    env.state.phoneMethods.set(userId, methods);
  }
  return methods;
}

function requirePhone(ctx: RouteContext): { user: Json & { id: string }; methods: Map<string, Json>; method: Json } {
  const user = requireUser(ctx.env, ctx.params[0] ?? '');
  const methods = userMethods(ctx.env, user.id);
  const id = (ctx.params[1] ?? '').toLowerCase();
  const method = methods.get(id);
  if (!method) throw resourceNotFound(ctx.params[1] ?? '');
  return { user, methods, method };
}

function validNumber(value: unknown): string {
  if (typeof value !== 'string' || !PHONE_FORMAT.test(value)) {
    throw err400(
      'invalidPhoneNumber',
      "Invalid phone number: use the format '+{country code} {number}x{extension}', for example '+1 2065555555' or '+1 2065555555x123'.",
    );
  }
  return value;
}

// ---- Temporary Access Pass ------------------------------------------------------------------------------------------

const TAP_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789@#$%&*+=?';

function newPass(length: number): string {
  let pass = '';
  for (let i = 0; i < length; i++) pass += TAP_ALPHABET.charAt(randomInt(TAP_ALPHABET.length));
  return pass;
}

function isExternalGuest(user: Json): boolean {
  if (user.userType !== 'Guest') return false;
  const upn = typeof user.userPrincipalName === 'string' ? user.userPrincipalName : '';
  return (
    user.creationType === 'Invitation' ||
    (user.externalUserState !== undefined && user.externalUserState !== null) ||
    upn.includes('#EXT#')
  );
}

function renderTap(env: SandboxEnv, userId: string, tap: Json): Json {
  const start = Date.parse(String(tap.startDateTime));
  const end = start + Number(tap.lifetimeInMinutes) * 60_000;
  const now = Date.now();
  const config = methodConfiguration(env, 'TemporaryAccessPass');
  let reason = 'EnabledByPolicy';
  if (!config || config.state !== 'enabled' || !targeted(env, userId, config, false)) reason = 'DisabledByPolicy';
  else if (now < start) reason = 'NotYetValid';
  else if (now > end) reason = 'Expired';
  return {
    '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
    id: tap.id,
    temporaryAccessPass: null,
    createdDateTime: tap.createdDateTime,
    startDateTime: tap.startDateTime,
    lifetimeInMinutes: tap.lifetimeInMinutes,
    isUsableOnce: tap.isUsableOnce,
    isUsable: reason === 'EnabledByPolicy',
    methodUsabilityReason: reason,
  };
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** The requested lifetime, or the policy's default; Graph refuses one outside 10..43200 or the policy's range. */
function tapLifetime(requested: unknown, config: Json): number {
  const min = num(config.minimumLifetimeInMinutes, 60);
  const max = num(config.maximumLifetimeInMinutes, 480);
  const lifetime = requested === undefined ? num(config.defaultLifetimeInMinutes, 60) : requested;
  if (
    typeof lifetime !== 'number' ||
    !Number.isInteger(lifetime) ||
    lifetime < 10 ||
    lifetime > 43200 ||
    lifetime < min ||
    lifetime > max
  ) {
    throw err400(
      'badRequest',
      `Invalid lifetimeInMinutes ${JSON.stringify(lifetime)}: the Temporary Access Pass policy allows ${min} to ${max} minutes (minimumLifetimeInMinutes / maximumLifetimeInMinutes).`,
    );
  }
  return lifetime;
}

/** The requested start, or now. */
function tapStart(requested: unknown): string {
  if (requested === undefined) return isoNow();
  if (typeof requested !== 'string' || Number.isNaN(Date.parse(requested)))
    throw err400('badRequest', "Invalid value for 'startDateTime'.");
  return new Date(requested).toISOString();
}

function createTap(ctx: RouteContext): Json {
  const user = requireUser(ctx.env, ctx.params[0] ?? '');
  const body = ctx.call.body === undefined ? {} : jsonBody(ctx.call);
  if (isExternalGuest(user)) throw err400('badRequest', 'Temporary Access Pass cannot be added to an external guest user.');
  const config = methodConfiguration(ctx.env, 'TemporaryAccessPass');
  if (!config || config.state !== 'enabled') {
    throw err400(
      'badRequest',
      "Temporary Access Pass is disabled in the authentication methods policy (TemporaryAccessPass configuration 'state' is not 'enabled').",
    );
  }
  if (!targeted(ctx.env, user.id, config, false)) {
    throw err400(
      'badRequest',
      'The user is not in the include targets of the Temporary Access Pass policy (or is excluded), so a Temporary Access Pass cannot be created.',
    );
  }
  if (body.isUsableOnce !== undefined && typeof body.isUsableOnce !== 'boolean')
    throw err400('badRequest', "Invalid value for 'isUsableOnce': expected a boolean.");
  const policyOneTime = config.isUsableOnce === true;
  const isUsableOnce = typeof body.isUsableOnce === 'boolean' ? body.isUsableOnce : policyOneTime;
  if (policyOneTime && !isUsableOnce) {
    throw err400(
      'badRequest',
      "A multi-use Temporary Access Pass (isUsableOnce: false) is not allowed: the Temporary Access Pass policy setting 'isUsableOnce' is true (one-time use only).",
    );
  }
  const lifetime = tapLifetime(body.lifetimeInMinutes, config);
  const start = tapStart(body.startDateTime);
  const tap: Json = {
    id: randomUUID(),
    createdDateTime: isoNow(),
    startDateTime: start,
    lifetimeInMinutes: lifetime,
    isUsableOnce,
  };
  // One TAP per user: a new one replaces the old.
  ctx.env.state.tapMethods.set(user.id, tap);
  return {
    ...renderTap(ctx.env, user.id, tap),
    temporaryAccessPass: newPass(Math.min(48, Math.max(8, num(config.defaultLength, 8)))),
  };
}

const BASE = '/users/{id}/authentication';

export const authMethodRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: `${BASE}/methods`,
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const value: Json[] = [
        {
          '@odata.type': '#microsoft.graph.passwordAuthenticationMethod',
          id: PASSWORD_METHOD_ID,
          password: null,
          createdDateTime: user.createdDateTime ?? null,
        },
      ];
      for (const m of env.state.phoneMethods.get(user.id)?.values() ?? []) value.push(renderPhone(env, user, m, true));
      const tap = env.state.tapMethods.get(user.id);
      if (tap) value.push(renderTap(env, user.id, tap));
      return collection(call, `users('${user.id}')/authentication/methods`, value);
    },
  },
  {
    method: 'GET',
    path: `${BASE}/phoneMethods`,
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const value = [...(env.state.phoneMethods.get(user.id)?.values() ?? [])].map((m) => renderPhone(env, user, m));
      return collection(call, `users('${user.id}')/authentication/phoneMethods`, value);
    },
  },
  {
    method: 'GET',
    path: `${BASE}/phoneMethods/{id}`,
    throttle: 'identity',
    handler: (ctx) => {
      const { user, method } = requirePhone(ctx);
      return entity(ctx.call, `users('${user.id}')/authentication/phoneMethods/$entity`, renderPhone(ctx.env, user, method));
    },
  },
  {
    method: 'POST',
    path: `${BASE}/phoneMethods`,
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const body = jsonBody(call);
      if (body.smsSignInState !== undefined)
        throw err400('badRequest', "Property 'smsSignInState' is read-only and cannot be set.");
      const type = body.phoneType;
      if (type !== 'mobile' && type !== 'alternateMobile' && type !== 'office') {
        throw err400('badRequest', "Invalid value for 'phoneType': use mobile, alternateMobile or office.");
      }
      const phoneNumber = validNumber(body.phoneNumber);
      const methods = userMethods(env, user.id);
      const id = PHONE_METHOD_IDS[type];
      if (methods.has(id))
        throw err400('phoneTypeAlreadyExists', `The user already has a '${type}' phone method; update it with PATCH instead.`);
      if (type === 'alternateMobile' && !methods.has(PHONE_METHOD_IDS.mobile)) {
        throw err400('mobileRequired', "A 'mobile' phone method must exist before an 'alternateMobile' one can be added.");
      }
      const method: Json = { id, phoneNumber, phoneType: type, smsSignInState: 'notEnabled' };
      methods.set(id, method);
      tryRegister(env, user, method);
      return entity(call, `users('${user.id}')/authentication/phoneMethods/$entity`, renderPhone(env, user, method), 201);
    },
  },
  {
    method: 'PATCH',
    path: `${BASE}/phoneMethods/{id}`,
    throttle: 'identity',
    handler: (ctx) => {
      const { user, method } = requirePhone(ctx);
      const body = jsonBody(ctx.call);
      if (body.phoneType !== undefined && body.phoneType !== method.phoneType) {
        throw err400(
          'badRequest',
          'The phoneType of a phone method cannot be changed; add a method of the new type and delete the old one.',
        );
      }
      if (body.smsSignInState !== undefined)
        throw err400('badRequest', "Property 'smsSignInState' is read-only and cannot be set.");
      const phoneNumber = validNumber(body.phoneNumber);
      ctx.env.state.releaseSmsNumber(user.id, method);
      method.phoneNumber = phoneNumber;
      method.smsSignInState = 'notEnabled';
      tryRegister(ctx.env, user, method);
      return noContent();
    },
  },
  {
    method: 'DELETE',
    path: `${BASE}/phoneMethods/{id}`,
    throttle: 'identity',
    handler: (ctx) => {
      const { user, methods, method } = requirePhone(ctx);
      if (method.phoneType === 'mobile' && methods.has(PHONE_METHOD_IDS.alternateMobile)) {
        throw err400(
          'badRequest',
          "The 'mobile' phone method cannot be deleted while an 'alternateMobile' method exists; update the mobile number instead.",
        );
      }
      ctx.env.state.releaseSmsNumber(user.id, method);
      methods.delete(String(method.id));
      return noContent();
    },
  },
  {
    method: 'POST',
    path: `${BASE}/phoneMethods/{id}/enableSmsSignIn`,
    throttle: 'identity',
    handler: (ctx) => {
      const { user, method } = requirePhone(ctx);
      if (method.phoneType !== 'mobile')
        throw err400('notSupported', 'SMS sign-in can only be enabled on the mobile phone method.');
      if (method.smsSignInState === 'ready') return noContent();
      const eligible = smsEligibility(ctx.env, user);
      if (!eligible.ok) throw err400(eligible.code, eligible.message);
      const key = normalisePhone(String(method.phoneNumber));
      const owner = ctx.env.state.smsNumbers.get(key);
      if (owner !== undefined && owner !== user.id) {
        throw err400(
          'phoneNumberNotUnique',
          'This phone number is already registered for SMS sign-in by another user; SMS sign-in numbers must be unique in the tenant.',
        );
      }
      ctx.env.state.smsNumbers.set(key, user.id);
      method.smsSignInState = 'ready';
      return noContent();
    },
  },
  {
    method: 'POST',
    path: `${BASE}/phoneMethods/{id}/disableSmsSignIn`,
    throttle: 'identity',
    handler: (ctx) => {
      const { user, method } = requirePhone(ctx);
      if (method.phoneType !== 'mobile')
        throw err400('notSupported', 'SMS sign-in can only be disabled on the mobile phone method.');
      ctx.env.state.releaseSmsNumber(user.id, method);
      method.smsSignInState = 'notEnabled';
      return noContent();
    },
  },
  {
    method: 'GET',
    path: `${BASE}/temporaryAccessPassMethods`,
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const tap = env.state.tapMethods.get(user.id);
      return collection(
        call,
        `users('${user.id}')/authentication/temporaryAccessPassMethods`,
        tap ? [renderTap(env, user.id, tap)] : [],
      );
    },
  },
  {
    method: 'POST',
    path: `${BASE}/temporaryAccessPassMethods`,
    throttle: 'identity',
    handler: (ctx) => {
      const tap = createTap(ctx);
      return entity(ctx.call, `users('${ctx.params[0] ?? ''}')/authentication/temporaryAccessPassMethods/$entity`, tap, 201);
    },
  },
  {
    method: 'GET',
    path: `${BASE}/temporaryAccessPassMethods/{id}`,
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const tap = env.state.tapMethods.get(user.id);
      if (!tap || tap.id !== params[1]) throw resourceNotFound(params[1] ?? '');
      return entity(call, `users('${user.id}')/authentication/temporaryAccessPassMethods/$entity`, renderTap(env, user.id, tap));
    },
  },
  {
    method: 'DELETE',
    path: `${BASE}/temporaryAccessPassMethods/{id}`,
    throttle: 'identity',
    handler: ({ params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const tap = env.state.tapMethods.get(user.id);
      if (!tap || tap.id !== params[1]) throw resourceNotFound(params[1] ?? '');
      env.state.tapMethods.delete(user.id);
      return noContent();
    },
  },
];
