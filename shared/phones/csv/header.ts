import type { FileProblem } from '../types';

/**
 * Header and delimiter detection. The seed's file is `UserName,PhoneNumber`; the same data arrives as
 * `UserPrincipalName;MobilePhone` from European Excel, `Id<TAB>Phone` from Export-Csv, and so on. Column names are
 * compared ignoring case, spaces, `_`, `-` and `.`; unknown columns are ignored.
 */
export type Delimiter = ',' | ';' | '\t';

export interface ColumnMap {
  readonly user: number;
  readonly phone: number;
  readonly phoneType?: number;
  readonly enableSmsSignIn?: number;
  /** The header names as found, for messages. */
  readonly names: readonly string[];
}

const ALIASES: Record<'user' | 'phone' | 'phoneType' | 'enableSmsSignIn', readonly string[]> = {
  user: ['username', 'userprincipalname', 'upn', 'objectid', 'id', 'userid', 'user'],
  phone: ['phonenumber', 'mobilephone', 'mobile', 'phone', 'mobilenumber', 'mobilephonenumber'],
  phoneType: ['phonetype', 'type'],
  enableSmsSignIn: ['enablesmssignin', 'smssignin', 'enablesms', 'smssigninenabled'],
};

const canonical = (name: string) =>
  name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');

/** Counts candidate delimiters in the header line, outside quotes; the most frequent wins, `,` on a tie or none. */
/**
 * A file without a header starts with a data row, and this message reaches the results file, the HTTP answer and
 * the logs: cells that look like data (an address, a number, long text) are described, never echoed.
 */
const HEADER_NAME = /^[\p{L}\p{N} _.#()-]{1,40}$/u;
function shownName(name: string, index: number): string {
  const digits = name.replace(/\D/g, '').length;
  return HEADER_NAME.test(name) && digits < 5 ? JSON.stringify(name) : `(cell ${index + 1} looks like data; not shown)`;
}

export function detectDelimiter(headerLine: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  let best: Delimiter = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

export function mapHeader(
  fields: readonly string[],
  line: number,
): { ok: true; columns: ColumnMap } | { ok: false; problem: FileProblem } {
  const names = fields.map((f) => f.trim());
  const keys = fields.map(canonical);
  const find = (role: keyof typeof ALIASES): number | undefined => {
    for (const alias of ALIASES[role]) {
      const i = keys.indexOf(alias);
      if (i >= 0) return i;
    }
    return undefined;
  };
  const user = find('user');
  const phone = find('phone');
  const missing = [
    user === undefined ? 'a user column (UserName, UserPrincipalName, UPN, ObjectId or Id)' : undefined,
    phone === undefined ? 'a phone column (PhoneNumber, MobilePhone, Mobile or Phone)' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (user === undefined || phone === undefined) {
    return {
      ok: false,
      problem: {
        code: 'CSV_MISSING_COLUMNS',
        message: `Line ${line}: the header needs ${missing.join(' and ')}; found: ${names.map(shownName).join(', ') || 'nothing'}`,
        line,
      },
    };
  }
  const phoneType = find('phoneType');
  const enableSmsSignIn = find('enableSmsSignIn');
  return {
    ok: true,
    columns: {
      user,
      phone,
      ...(phoneType !== undefined && { phoneType }),
      ...(enableSmsSignIn !== undefined && { enableSmsSignIn }),
      names,
    },
  };
}
