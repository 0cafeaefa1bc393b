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
const ALREADY_EXISTS = /already ?exists|already has/i;
const digits = (n: string): string => n.replace(/\D/g, '');

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
              // A repeat after a lost response meets "already exists"; confirmCreates re-reads and compares.
              idempotent: true,
            }
          : {
              method: 'PATCH' as const,
              path: graphPath`/users/${w.userId}/authentication/phoneMethods/${w.methodId}`,
              body: { phoneNumber: w.phoneNumber },
            },
      ),
    );
    return this.confirmCreates(
      writes,
      writes.map((_, i) => writeResult(results[i])),
    );
  }

  /**
   * A create whose first response was lost (a 503 or reset after Graph stored the number) is sent again by the gateway
   * and then meets "already exists". Re-read those users' methods: the number we asked for in place is a success, a
   * different one stays a failure with Graph's reason.
   */
  private async confirmCreates(writes: readonly PhoneWrite[], results: WriteResult[]): Promise<WriteResult[]> {
    const suspects = writes
      .map((w, i) => ({ w, i, r: results[i] }))
      .filter(
        ({ w, r }) => w.kind === 'create' && r && !r.ok && r.status === 400 && ALREADY_EXISTS.test(`${r.code} ${r.message}`),
      );
    if (suspects.length === 0) return results;
    const current = await this.listPhoneMethods([...new Set(suspects.map(({ w }) => w.userId))]);
    const out = [...results];
    for (const { w, i } of suspects) {
      const lookup = current.get(w.userId);
      const method = lookup?.ok ? lookup.methods.find((m) => m.phoneType === w.phoneType) : undefined;
      if (method && digits(method.phoneNumber) === digits(w.phoneNumber)) out[i] = { ok: true };
    }
    return out;
  }

  async enableSmsSignIn(userIds: readonly string[]): Promise<Map<string, WriteResult>> {
    const results = await this.graph.batch(
      userIds.map((id) => ({
        method: 'POST' as const,
        path: graphPath`/users/${id}/authentication/phoneMethods/${PHONE_METHOD_IDS.mobile}/enableSmsSignIn`,
        // Enabling twice is a no-op for Graph.
        idempotent: true,
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
