/**
 * The tenant's custom banned-password list, as pure rules. Microsoft's limits (Entra "Configure custom banned
 * passwords" and "Eliminate bad passwords" pages): at most 1,000 terms, each 4 to 16 characters, compared
 * case-insensitively. Graph keeps the list in the tenant's "Password Rule Settings" directory setting as one
 * tab-separated string (`BannedPasswordList`), so a term cannot contain a tab; control characters are refused too.
 */
import { badRequest } from '../errors';

export const PASSWORD_RULE_SETTINGS_TEMPLATE_ID = '5cf42378-d67d-4f36-ba46-e8b86229381d';
export const BANNED_LIST = 'BannedPasswordList';
export const ENABLE_CHECK = 'EnableBannedPasswordCheck';
export const LIMITS = { maxWords: 1000, minLength: 4, maxLength: 16 } as const;

export type BannedWordsMode = 'replace' | 'add' | 'remove';

export interface BannedWordsChange {
  /** The list after the change, current spellings kept for words already there. */
  readonly resulting: string[];
  readonly added: string[];
  readonly removed: string[];
  /** `add`: words already on the list; `remove`: words that were not. */
  readonly alreadyPresent: string[];
  readonly notPresent: string[];
}

const key = (word: string): string => word.toLowerCase();
const length = (word: string): number => [...word].length;

/** The stored value as a list: tab-separated, blanks ignored. */
export function parseBannedList(value: string | undefined): string[] {
  return (value ?? '')
    .split('\t')
    .map((w) => w.trim())
    .filter((w) => w.length > 0);
}

export const formatBannedList = (words: readonly string[]): string => words.join('\t');

/** Refuses the request's words with every offending word named: count, length, characters, duplicates. */
export function validateWords(words: readonly string[]): void {
  if (words.length > LIMITS.maxWords) {
    throw badRequest('TOO_MANY_WORDS', `At most ${LIMITS.maxWords} banned words are allowed; got ${words.length}`, {
      count: words.length,
      limit: LIMITS.maxWords,
    });
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  const badCharacters = words.filter((w) => /[\u0000-\u001f\u007f-\u009f]/.test(w));
  const tooShort = words.filter((w) => length(w) < LIMITS.minLength);
  const tooLong = words.filter((w) => length(w) > LIMITS.maxLength);
  const seen = new Map<string, number>();
  for (const w of words) seen.set(key(w), (seen.get(key(w)) ?? 0) + 1);
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([w]) => w);
  const problems = { tooShort, tooLong, badCharacters, duplicates };
  if (Object.values(problems).every((list) => list.length === 0)) return;
  const parts = [
    tooShort.length ? `${tooShort.length} shorter than ${LIMITS.minLength} characters` : '',
    tooLong.length ? `${tooLong.length} longer than ${LIMITS.maxLength} characters` : '',
    badCharacters.length ? `${badCharacters.length} with tabs or control characters` : '',
    duplicates.length ? `${duplicates.length} given more than once (case-insensitive)` : '',
  ].filter(Boolean);
  throw badRequest('INVALID_BANNED_WORDS', `Banned words refused: ${parts.join('; ')}`, problems);
}

/** What the list becomes; refuses a result over the limit. Comparison is case-insensitive, as Entra's. */
export function planBannedWords(current: readonly string[], words: readonly string[], mode: BannedWordsMode): BannedWordsChange {
  const currentKeys = new Map(current.map((w) => [key(w), w]));
  const wordKeys = new Set(words.map(key));
  const fresh = words.filter((w) => !currentKeys.has(key(w)));
  let resulting: string[];
  if (mode === 'replace') resulting = words.map((w) => currentKeys.get(key(w)) ?? w);
  else if (mode === 'add') resulting = [...current, ...fresh];
  else resulting = current.filter((w) => !wordKeys.has(key(w)));
  if (resulting.length > LIMITS.maxWords) {
    throw badRequest(
      'BANNED_LIST_TOO_LONG',
      `The list would hold ${resulting.length} words; at most ${LIMITS.maxWords} are allowed`,
      { count: resulting.length, limit: LIMITS.maxWords },
    );
  }
  const resultKeys = new Set(resulting.map(key));
  return {
    resulting,
    added: resulting.filter((w) => !currentKeys.has(key(w))),
    removed: current.filter((w) => !resultKeys.has(key(w))),
    alreadyPresent: mode === 'add' ? words.filter((w) => currentKeys.has(key(w))) : [],
    notPresent: mode === 'remove' ? words.filter((w) => !currentKeys.has(key(w))) : [],
  };
}
