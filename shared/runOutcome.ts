/**
 * How a run of any job ends. Run records, results summaries and the audit log use these four words and nothing else,
 * so an operator reads every job the same way; the detail of what went wrong goes in error codes, not in more outcomes.
 *
 * - `succeeded`: everything the plan asked for is in place (or there was nothing to do).
 * - `partial`: some changes were applied and some failed; a re-run finishes the job.
 * - `failed`: nothing could be applied.
 * - `blocked`: a guardrail or a rejected input stopped the run before any change.
 */

export const RUN_OUTCOMES = ['succeeded', 'partial', 'failed', 'blocked'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** The outcome of a run that applied its plan: `applied` items went through, `failed` items did not. */
export function appliedOutcome(applied: number, failed: number): Exclude<RunOutcome, 'blocked'> {
  if (failed === 0) return 'succeeded';
  return applied > 0 ? 'partial' : 'failed';
}
