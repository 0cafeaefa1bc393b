import type { StoredRow } from './ports';
import type { FileProblem, RowCounts } from './types';

/**
 * The results file: one line per input row, in input order. Columns: line, user, phone (masked, last four digits
 * kept), status, action, reason. Every cell that a spreadsheet would run as a formula is prefixed with `'` (OWASP
 * CSV injection): user names, reasons and the phone cells of rejected rows echo hostile input, and Excel treats a
 * leading `+` (every masked number) as a formula too. Leading spaces and full-width signs are looked through.
 */
export const RESULTS_HEADER = 'line,user,phoneNumber,status,action,reason\r\n';

const FORMULA = /^[\s\u00a0\u3000]*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

export function csvCell(value: string): string {
  const v = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n;]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

export function resultLine(row: StoredRow): string {
  return (
    [
      String(row.line),
      csvCell(row.user),
      csvCell(row.maskedPhone),
      row.status ?? 'failed',
      csvCell(row.action ?? 'none'),
      csvCell(row.reason ?? (row.status ? '' : 'the row was not processed')),
    ].join(',') + '\r\n'
  );
}

export function fileProblemResults(problem: FileProblem): string {
  return `${RESULTS_HEADER}${[String(problem.line ?? ''), '', '', 'failed', 'rejected file', csvCell(`${problem.code}: ${problem.message}`)].join(',')}\r\n`;
}

export interface ImportSummary {
  readonly importId: string;
  readonly file: string;
  readonly dryRun: boolean;
  readonly status: 'completed' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly rows: { readonly total: number } & RowCounts;
  readonly problem?: FileProblem;
  readonly settings: Record<string, unknown>;
  readonly resultsBlob: string;
}
