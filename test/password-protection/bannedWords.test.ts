import { describe, expect, it } from 'vitest';

import { AppError } from '../../shared/errors';
import { formatBannedList, parseBannedList, planBannedWords, validateWords } from '../../shared/password-protection/bannedWords';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('banned words: rules', () => {
  it('reads and writes the tab-separated list, blanks ignored', () => {
    expect(parseBannedList('contoso\t\t london \twidget\t')).toEqual(['contoso', 'london', 'widget']);
    expect(parseBannedList(undefined)).toEqual([]);
    expect(formatBannedList(['contoso', 'london'])).toBe('contoso\tlondon');
  });

  it('accepts 4 to 16 characters, counted as characters rather than bytes', () => {
    expect(() => validateWords(['abcd', 'abcdefghijklmnop', 'éééé', '🙂🙂🙂🙂'])).not.toThrow();
  });

  it('names every word that is too short, too long, has a tab or control character, or is repeated', () => {
    const err = refusal(() => validateWords(['abc', 'abcdefghijklmnopq', 'ta\tb1', 'ctl\u0007x', 'Contoso', 'CONTOSO']));
    expect([err.status, err.code]).toEqual([400, 'INVALID_BANNED_WORDS']);
    expect(err.details).toEqual({
      tooShort: ['abc'],
      tooLong: ['abcdefghijklmnopq'],
      badCharacters: ['ta\tb1', 'ctl\u0007x'],
      duplicates: ['contoso'],
    });
    expect(err.message).toContain('1 shorter than 4 characters');
  });

  it('refuses more than 1,000 words in a request, and a result over 1,000', () => {
    const words = (n: number, prefix = 'word') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    expect(refusal(() => validateWords(words(1001))).code).toBe('TOO_MANY_WORDS');
    expect(() => validateWords(words(1000))).not.toThrow();
    const err = refusal(() => planBannedWords(words(600, 'old'), words(401, 'new'), 'add'));
    expect([err.code, err.details]).toEqual(['BANNED_LIST_TOO_LONG', { count: 1001, limit: 1000 }]);
  });

  it('plans replace, add and remove case-insensitively, keeping the current spelling', () => {
    const current = ['Contoso', 'London'];
    expect(planBannedWords(current, ['contoso', 'Widget'], 'replace')).toEqual({
      resulting: ['Contoso', 'Widget'],
      added: ['Widget'],
      removed: ['London'],
      alreadyPresent: [],
      notPresent: [],
    });
    expect(planBannedWords(current, ['LONDON', 'Paris'], 'add')).toMatchObject({
      resulting: ['Contoso', 'London', 'Paris'],
      added: ['Paris'],
      alreadyPresent: ['LONDON'],
    });
    expect(planBannedWords(current, ['london', 'Paris'], 'remove')).toMatchObject({
      resulting: ['Contoso'],
      removed: ['London'],
      notPresent: ['Paris'],
    });
    expect(planBannedWords(current, ['CONTOSO', 'london'], 'replace')).toMatchObject({ added: [], removed: [] });
  });
});
