/**
 * Job schedules are NCRONTAB, the six-field format of Azure Functions timers
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC). One timer (`%SYNC_TIMER_SCHEDULE%`) wakes up and runs
 * every job that is due; missed occurrences collapse into one run, so a host that was down does not replay a backlog.
 */

import { CronExpressionParser } from 'cron-parser';

export function scheduleProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    return 'must be an NCRONTAB expression with six fields: {second} {minute} {hour} {day} {month} {day-of-week}, e.g. "0 0 * * * *"';
  }
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
    return undefined;
  } catch (err) {
    return `is not a valid NCRONTAB expression (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** The latest occurrence at or before `now`. */
export function latestOccurrence(expression: string, now: Date): Date {
  // `prev()` is strictly before currentDate; a millisecond later makes an occurrence exactly at `now` count.
  return CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(now.getTime() + 1) })
    .prev()
    .toDate();
}

/**
 * Due when an occurrence fell after the last one already handled (`since`: the last scheduled occurrence run, or the
 * job's creation time for a new job) and at or before `now`. Returns the occurrence to record as handled.
 */
export function dueOccurrence(expression: string, since: Date, now: Date): Date | undefined {
  const latest = latestOccurrence(expression, now);
  return latest.getTime() > since.getTime() ? latest : undefined;
}
