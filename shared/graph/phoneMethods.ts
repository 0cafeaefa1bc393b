import type { PhoneAuthenticationMethod, SmsAuthenticationMethodConfiguration } from '@microsoft/microsoft-graph-types';

import type { MethodsLookup, PhoneMethodFacts, SmsPolicyFacts } from '../phones/plan';
import { PHONE_METHOD_IDS } from '../phones/plan';
import { isTransient, type PhoneMethodsApi, type PhoneWrite, type WriteResult } from '../phones/ports';
import { PHONE_TYPES, type PhoneType } from '../phones/types';
import type { Graph } from './types';
import { graphPath } from './types';
import { writeResult } from './users';

/**
 * Phone authentication methods and the SMS method policy, in `$batch` calls.
 * Docs: authentication-list-phonemethods.md, authentication-post-phonemethods.md (body `phoneNumber` + `phoneType`),
 * phoneauthenticationmethod-update.md (PATCH `phoneNumber`), phoneauthenticationmethod-enablesmssignin.md (POST, no
 * body, on the mobile method id), smsauthenticationmethodconfiguration-get.md.
 */
const isPhoneType = (t: unknown): t is PhoneType => typeof t === 'string' && (PHONE_TYPES as readonly string[]).includes(t);

export class GraphPhoneMethods implements PhoneMethodsApi {
  constructor(private readonly graph: Graph) {}

  async listPhoneMethods(userIds: readonly string[]): Promise<Map<string, MethodsLookup>> {
    const results = await this.graph.batch<{ value?: PhoneAuthenticationMethod[] }>(
      userIds.map((id) => ({ method: 'GET' as const, path: graphPath`/users/${id}/authentication/phoneMethods` })),
    );
    const out = new Map<string, MethodsLookup>();
    userIds.forEach((id, i) => {
      const r = results[i];
      if (r && r.status === 200) {
        const methods: PhoneMethodFacts[] = [];
        for (const m of r.body?.value ?? []) {
          if (!m.id || !m.phoneNumber || !isPhoneType(m.phoneType)) continue;
          methods.push({
            id: m.id,
            phoneNumber: m.phoneNumber,
            phoneType: m.phoneType,
            ...(m.smsSignInState && { smsSignInState: m.smsSignInState }),
          });
        }
        out.set(id, { ok: true, methods });
      } else {
        const w = writeResult(r);
        out.set(id, {
          ok: false,
          message: w.ok ? 'unexpected answer' : `${w.code}: ${w.message}`,
          transient: !w.ok && isTransient(w.status),
        });
      }
    });
    return out;
  }

  async writePhoneMethods(writes: readonly PhoneWrite[]): Promise<WriteResult[]> {
    const results = await this.graph.batch(
      writes.map((w) =>
        w.kind === 'create'
          ? {
              method: 'POST' as const,
              path: graphPath`/users/${w.userId}/authentication/phoneMethods`,
              body: { phoneNumber: w.phoneNumber, phoneType: w.phoneType },
            }
          : {
              method: 'PATCH' as const,
              path: graphPath`/users/${w.userId}/authentication/phoneMethods/${w.methodId}`,
              body: { phoneNumber: w.phoneNumber },
            },
      ),
    );
    return writes.map((_, i) => writeResult(results[i]));
  }

  async enableSmsSignIn(userIds: readonly string[]): Promise<Map<string, WriteResult>> {
    const results = await this.graph.batch(
      userIds.map((id) => ({
        method: 'POST' as const,
        path: graphPath`/users/${id}/authentication/phoneMethods/${PHONE_METHOD_IDS.mobile}/enableSmsSignIn`,
      })),
    );
    return new Map(userIds.map((id, i) => [id, writeResult(results[i])]));
  }

  async readSmsPolicy(): Promise<SmsPolicyFacts> {
    const body = await this.graph.request<
      SmsAuthenticationMethodConfiguration & { value?: SmsAuthenticationMethodConfiguration }
    >({
      method: 'GET',
      path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/sms',
    });
    // The doc's example wraps the object in `value`; the live API returns it bare. Accept both.
    const config = body.value ?? body;
    const include = (config.includeTargets ?? []) as { id?: string; isUsableForSignIn?: boolean | null }[];
    return {
      enabled: config.state === 'enabled',
      signInTargets: include.filter((t) => t.id && t.isUsableForSignIn !== false).map((t) => t.id ?? ''),
      excludeGroupIds: (config.excludeTargets ?? []).map((t) => t.id ?? '').filter((id) => id !== ''),
    };
  }
}
