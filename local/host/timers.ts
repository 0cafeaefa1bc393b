import type { Timer, TimerFunctionOptions } from '@azure/functions';
import { CronExpressionParser } from 'cron-parser';

import type { FunctionDefinition } from '../../shared/runtime/definitions';
import type { Invoker } from './invoker';
import { resolvePlaceholders, type SettingsSource } from './settings';
import type { HostLogger } from './types';

/**
 * Timer triggers: NCRONTAB schedules (6 fields with seconds, or 5 without) or `hh:mm:ss` intervals, `%SETTING%`
 * placeholders resolved from app settings, evaluated in UTC unless WEBSITE_TIME_ZONE names an IANA zone (what Linux
 * Function apps accept). Like the host's TimerListener, one timer never runs twice at once: an occurrence that comes
 * due while the previous run is still going is skipped, and the next one is computed from the time the run ended.
 * The schedule monitor (`useMonitor`, storage-backed past-due tracking) is not emulated: isPastDue is true only
 * when a tick fires more than a second late.
 */
const NEVER = new Date('0001-01-01T00:00:00Z').toISOString();
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Schedule {
  next(after: Date): Date;
  readonly description: string;
}

interface ScheduledTimer {
  readonly name: string;
  readonly options: TimerFunctionOptions;
  readonly schedule: Schedule;
  handle?: NodeJS.Timeout;
  running?: Promise<void>;
  last: string;
}

export function parseSchedule(expression: string, tz: string): Schedule {
  const interval = /^(\d+):(\d{2}):(\d{2})$/.exec(expression.trim());
  if (interval) {
    const ms = (Number(interval[1]) * 3600 + Number(interval[2]) * 60 + Number(interval[3])) * 1000;
    if (ms <= 0) throw new Error(`timer interval '${expression}' must be longer than zero`);
    return { next: (after) => new Date(after.getTime() + ms), description: `every ${expression}` };
  }
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 5) {
    throw new Error(
      `'${expression}' is not an NCRONTAB expression: it needs 6 fields ({second} {minute} {hour} {day} {month} {day-of-week})`,
    );
  }
  const normalised = fields.length === 5 ? `0 ${fields.join(' ')}` : fields.join(' ');
  // Parse once up front so a bad expression fails at start-up, naming the function.
  CronExpressionParser.parse(normalised, { currentDate: new Date(), tz }).next();
  return {
    next: (after) => CronExpressionParser.parse(normalised, { currentDate: after, tz }).next().toDate(),
    description: normalised,
  };
}

export class TimerTriggers {
  private readonly timers: ScheduledTimer[] = [];
  private stopped = false;

  constructor(
    functions: readonly FunctionDefinition[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
    settings: SettingsSource,
  ) {
    const tz = settings('WEBSITE_TIME_ZONE') ?? 'UTC';
    for (const def of functions) {
      if (def.kind !== 'timer') continue;
      let schedule: Schedule;
      try {
        schedule = parseSchedule(resolvePlaceholders(def.options.schedule, settings, `timer '${def.name}'`), tz);
      } catch (error) {
        throw new Error(
          `Timer function '${def.name}' has an invalid schedule: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      }
      this.timers.push({ name: def.name, options: def.options, schedule, last: NEVER });
    }
  }

  async start(): Promise<void> {
    for (const timer of this.timers) {
      this.logger.info({ functionName: timer.name, schedule: timer.schedule.description }, `Timer '${timer.name}' scheduled`);
      if (timer.options.runOnStartup) void this.fire(timer, new Date(), 'startup');
      this.scheduleNext(timer, new Date());
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer.handle);
    await Promise.allSettled(this.timers.flatMap((t) => (t.running ? [t.running] : [])));
  }

  private scheduleNext(timer: ScheduledTimer, after: Date): void {
    if (this.stopped) return;
    const due = timer.schedule.next(after);
    const wait = Math.max(0, due.getTime() - Date.now());
    timer.handle = setTimeout(
      () => {
        if (Date.now() < due.getTime()) return this.scheduleNext(timer, after);
        void this.fire(timer, due, 'schedule').finally(() =>
          this.scheduleNext(timer, new Date(Math.max(Date.now(), due.getTime()))),
        );
      },
      Math.min(wait, MAX_DELAY_MS),
    );
  }

  private async fire(timer: ScheduledTimer, due: Date, reason: 'startup' | 'schedule'): Promise<void> {
    if (this.stopped) return;
    if (timer.running) {
      this.logger.warn(
        { functionName: timer.name },
        `Timer '${timer.name}' is still running; skipping the ${due.toISOString()} occurrence`,
      );
      return;
    }
    const now = new Date();
    const next = timer.schedule.next(now);
    const info: Timer = {
      isPastDue: reason === 'schedule' && now.getTime() - due.getTime() > 1_000,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: timer.last, next: next.toISOString(), lastUpdated: now.toISOString() },
    };
    timer.last = due.toISOString();
    const run = this.invoker
      .invoke({ functionName: timer.name, triggerType: 'timerTrigger', triggerMetadata: { timer: info } }, async (context) => {
        await timer.options.handler(info, context);
      })
      // The invoker logged the failure; a failing timer keeps its schedule, as in the host.
      .catch(() => undefined)
      .finally(() => {
        timer.running = undefined;
      });
    timer.running = run;
    await run;
  }
}
