/**
 * Graph accepts phone methods only as `+{country code} {number}[x{extension}]`, e.g. `+1 4255550100x12`; "numbers are
 * rejected when creating or updating if they don't match the required format"
 * (https://learn.microsoft.com/graph/api/resources/phoneauthenticationmethod). Every input format people keep in
 * spreadsheets is turned into that form here, or rejected with a reason a person can act on.
 * The `max` metadata is used so validity means "a number that can exist", not just "has a plausible length".
 */

import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';

export type NormalizeResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

// Extension markers people write: "x12", "ext 12", "ext. 12", "extension 12", "#12".
const EXTENSION = /\s*(?:x|ext\.?|extension|#)\s*(\d{1,10})\s*$/i;
const ALLOWED = /^[+\d\s().\-/]*$/;

export function normalizePhone(raw: string, defaultRegion?: string): NormalizeResult {
  const input = raw.trim();
  if (input === '') return { ok: false, reason: 'phone number is empty' };
  if (input.length > 64) return { ok: false, reason: 'phone number is too long' };

  let extension: string | undefined;
  let body = input;
  const ext = EXTENSION.exec(body);
  if (ext) {
    extension = ext[1];
    body = body.slice(0, ext.index);
  }
  if (!ALLOWED.test(body)) return { ok: false, reason: 'phone number contains letters or symbols' };

  // "00" is the international prefix in most of the world; a spreadsheet cell often has 0044... for +44...
  const compact = body.replace(/[\s().\-/]/g, '');
  if (compact.startsWith('00')) body = `+${compact.slice(2)}`;
  else if (compact.startsWith('+')) body = compact;

  if (!body.startsWith('+') && !defaultRegion) {
    return {
      ok: false,
      reason: 'phone number has no country code (+…) and no default region is configured (PHONE_DEFAULT_REGION)',
    };
  }
  try {
    const parsed = parsePhoneNumberWithError(body, defaultRegion ? { defaultCountry: defaultRegion as CountryCode } : {});
    if (!parsed.isPossible()) return { ok: false, reason: `phone number has the wrong length for +${parsed.countryCallingCode}` };
    if (!parsed.isValid()) return { ok: false, reason: `not a valid phone number for +${parsed.countryCallingCode}` };
    const ext2 = extension ?? parsed.ext;
    return { ok: true, value: `+${parsed.countryCallingCode} ${parsed.nationalNumber}${ext2 ? `x${ext2}` : ''}` };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, reason: parseReason(err.message) };
    throw err;
  }
}

function parseReason(code: string): string {
  switch (code) {
    case 'INVALID_COUNTRY':
      return 'phone number has an unknown country code';
    case 'TOO_SHORT':
      return 'phone number is too short';
    case 'TOO_LONG':
      return 'phone number is too long';
    default:
      return 'not a phone number';
  }
}

/** Digits of the number and extension only: the identity used to compare numbers and find duplicates. */
export function phoneKey(normalized: string): string {
  return normalized.replace(/[^\dx]/gi, '').toLowerCase();
}

/** Compares a Graph phone method's number (any spacing Graph returns) with a normalised one. */
export function samePhone(graphNumber: string | null | undefined, normalized: string): boolean {
  if (!graphNumber) return false;
  return phoneKey(graphNumber.replace(/\s*(?:ext\.?|extension)\s*/i, 'x')) === phoneKey(normalized);
}
