/**
 * Finds rows that must not both be applied: the same user twice (which number would win?) and one number given to
 * two users (SMS sign-in needs unique numbers, and it is almost always a copy-paste slip). Both rows of a pair are
 * rejected, each naming the other. The first row of a pair has usually been streamed on already, so it is reported
 * through `lateRejects` at the end of the file. Memory: two maps of short keys, about 100 bytes per row.
 */

import { phoneKey } from './normalize';
import type { ValidRow } from './types';

export class DuplicateTracker {
  private readonly users = new Map<string, number>();
  private readonly phones = new Map<string, number>();
  /** First-seen rows found to be duplicated later: line → reason. */
  readonly lateRejects = new Map<number, string>();

  /** Returns the reason this row is rejected, or undefined when it is (so far) unique. */
  check(row: ValidRow): string | undefined {
    const userKey = row.user.toLowerCase();
    const firstUserLine = this.users.get(userKey);
    if (firstUserLine !== undefined) {
      if (!this.lateRejects.has(firstUserLine))
        this.lateRejects.set(firstUserLine, `duplicate: the same user is also on line ${row.line}`);
      return `duplicate: the same user is also on line ${firstUserLine}`;
    }
    this.users.set(userKey, row.line);

    const key = phoneKey(row.phoneNumber);
    const firstPhoneLine = this.phones.get(key);
    if (firstPhoneLine !== undefined) {
      if (!this.lateRejects.has(firstPhoneLine)) {
        this.lateRejects.set(firstPhoneLine, `duplicate: the same number is given to another user on line ${row.line}`);
      }
      return `duplicate: the same number is given to another user on line ${firstPhoneLine}`;
    }
    this.phones.set(key, row.line);
    return undefined;
  }
}
