/**
 * Sign-in logs (signin-list.md). Filtered server-side by user, window and correlation id; `status/errorCode` supports
 * only `eq`, so the CA code families (530xx, 5300xx) are picked client-side from the user's window. The gateway paces
 * the pages of 1,000 to the 5 requests / 10 s reports budget. `Prefer: include-unknown-enum-members` makes Graph send the
 * report-only results (`reportOnlyFailure`, ...) instead of `unknownFutureValue` (appliedconditionalaccesspolicy.md).
 */
import type { Json } from '../conditional-access/model';
import type { SignInQuery, SignInReader } from '../conditional-access/ports';
import type { Graph } from './types';

/** Upper bound of sign-ins read for one question (10 pages); the answer says when it was reached. */
export const MAX_SIGN_INS = 10_000;

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export class GraphSignIns implements SignInReader {
  constructor(private readonly graph: Graph) {}

  async signIns(query: SignInQuery): Promise<Json[]> {
    const clauses = [`userId eq ${literal(query.userId)}`, `createdDateTime ge ${query.since.toISOString()}`];
    if (query.correlationId) clauses.push(`correlationId eq ${literal(query.correlationId)}`);
    const pages = this.graph.pages<Json>({
      method: 'GET',
      path: '/auditLogs/signIns',
      query: { $filter: clauses.join(' and '), $top: '1000' },
      headers: { Prefer: 'include-unknown-enum-members' },
    });
    const it = pages[Symbol.asyncIterator]();
    const out: Json[] = [];
    while (out.length < MAX_SIGN_INS) {
      const next = await it.next();
      if (next.done) break;
      out.push(...next.value.value);
    }
    return out;
  }
}
