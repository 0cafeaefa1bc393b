/** Per-row checks that need no Graph call: user reference shape, phone number, phone type, SMS flag. */

import { isGuid } from '../ids';
import type { ColumnMap } from './csv/header';
import { maskPhone } from './mask';
import { normalizePhone } from './normalize';
import { PHONE_TYPES, type PhoneType, type RejectedRow, type ValidRow } from './types';

/** Settings a row check depends on. */
export interface RowRules {
  readonly defaultRegion?: string;
  readonly enableSmsSignInByDefault: boolean;
}

export type RowCheck = { readonly ok: true; readonly row: ValidRow } | { readonly ok: false; readonly row: RejectedRow };

// userPrincipalName: one @, no spaces; guests look like alice_contoso.com#EXT#@tenant.onmicrosoft.com. Max 113 chars.
const UPN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

export function checkUser(user: string): string | undefined {
  if (user === '') return 'user is empty';
  if (isGuid(user)) return undefined;
  if (user.length > 113) return 'user principal name is longer than 113 characters';
  if (!UPN.test(user)) return 'user must be a user principal name (name@domain) or an object id (GUID)';
  return undefined;
}

export function parsePhoneType(value: string | undefined): PhoneType | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'mobile';
  return PHONE_TYPES.find((t) => t.toLowerCase() === v);
}

export function parseFlag(value: string | undefined): boolean | undefined | 'invalid' {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return undefined;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return 'invalid';
}

export function validateRecord(fields: readonly string[], columns: ColumnMap, line: number, rules: RowRules): RowCheck {
  const user = (fields[columns.user] ?? '').trim();
  const rawPhone = fields[columns.phone];
  const masked = maskPhone((rawPhone ?? '').trim().slice(0, 64));
  const reject = (reason: string): RowCheck => ({
    ok: false,
    row: { line, user: user.slice(0, 256), maskedPhone: masked, reason },
  });

  const needed = Math.max(columns.user, columns.phone) + 1;
  if (fields.length < needed) {
    return reject(
      `the row has ${fields.length} column${fields.length === 1 ? '' : 's'}; the header has at least ${needed} (${columns.names.slice(0, needed).join(', ')})`,
    );
  }
  const userProblem = checkUser(user);
  if (userProblem) return reject(userProblem);

  const phone = normalizePhone(rawPhone ?? '', rules.defaultRegion);
  if (!phone.ok) return reject(phone.reason);

  const phoneType = parsePhoneType(columns.phoneType === undefined ? undefined : fields[columns.phoneType]);
  if (!phoneType) return reject(`PhoneType must be one of ${PHONE_TYPES.join(', ')}`);

  const flag = parseFlag(columns.enableSmsSignIn === undefined ? undefined : fields[columns.enableSmsSignIn]);
  if (flag === 'invalid') return reject('EnableSmsSignIn must be true or false');
  if (flag === true && phoneType !== 'mobile') return reject('SMS sign-in works only with PhoneType mobile');
  // The configured default applies to mobile numbers only: alternateMobile and office are voice-only in Graph.
  const enableSmsSignIn = flag ?? (rules.enableSmsSignInByDefault && phoneType === 'mobile');

  return { ok: true, row: { line, user, phoneNumber: phone.value, phoneType, enableSmsSignIn } };
}
