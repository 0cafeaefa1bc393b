import type { Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { startLocalHost } from '../../local/host';
import { parseSchedule } from '../../local/host/timers';
import { timerFunction } from '../../shared/runtime/definitions';
import { eventually, memoryLogger, UNUSED_STORAGE } from '../helpers/host';

const FAR_AWAY = '0 0 0 1 1 *'; // 1 January, midnight UTC
const EVERY_SECOND = '*/1 * * * * *';

const hostWith = (functions: Parameters<typeof startLocalHost>[0]['functions'], env: Record<string, string> = {}) => {
  const { logger, lines } = memoryLogger();
  return { lines, start: () => startLocalHost({ functions, port: 0, storageConnectionString: UNUSED_STORAGE, logger, env }) };
};

describe('local host timer triggers', () => {
  it('runs a runOnStartup timer once at start', async () => {
    const ticks: Timer[] = [];
    const { start } = hostWith([
      timerFunction('startup', { schedule: FAR_AWAY, runOnStartup: true, handler: (t) => void ticks.push(t) }),
    ]);
    const host = await start();
    try {
      const [tick] = await eventually('the startup run', () => ticks.length > 0 && ticks);
      expect(tick!.isPastDue).toBe(false);
      expect(new Date(tick!.scheduleStatus.next).getUTCMonth()).toBe(0);
      expect(new Date(tick!.scheduleStatus.next).getUTCDate()).toBe(1);
    } finally {
      await host.close();
    }
    expect(ticks).toHaveLength(1);
  });

  it('fires on its NCRONTAB schedule and reports the previous occurrence', async () => {
    const ticks: Timer[] = [];
    const { start } = hostWith([timerFunction('everySecond', { schedule: EVERY_SECOND, handler: (t) => void ticks.push(t) })]);
    const host = await start();
    try {
      await eventually('two scheduled runs', () => ticks.length >= 2);
    } finally {
      await host.close();
    }
    const [first, second] = ticks;
    expect(first!.scheduleStatus.last).toBe('0001-01-01T00:00:00.000Z');
    expect(Date.parse(second!.scheduleStatus.last)).toBeGreaterThan(0);
    expect(Date.parse(second!.scheduleStatus.next)).toBeGreaterThan(Date.parse(second!.scheduleStatus.last));
  });

  it('resolves %SETTING% placeholders in the schedule from app settings', async () => {
    let runs = 0;
    const { start } = hostWith(
      [timerFunction('fromSetting', { schedule: '%TEST_TIMER_SCHEDULE%', handler: () => void runs++ })],
      {
        TEST_TIMER_SCHEDULE: EVERY_SECOND,
      },
    );
    const host = await start();
    try {
      await eventually('a run on the schedule from the setting', () => runs >= 1);
    } finally {
      await host.close();
    }
  });

  it('refuses to start when a schedule setting is missing, naming it', async () => {
    const { start } = hostWith([timerFunction('missing', { schedule: '%NO_SUCH_SCHEDULE_SETTING%', handler: () => undefined })]);
    await expect(start()).rejects.toThrow(/missing.*NO_SUCH_SCHEDULE_SETTING/);
  });

  it('refuses to start when a schedule is not NCRONTAB, naming the function', async () => {
    const { start } = hostWith([timerFunction('badCron', { schedule: '* * *', handler: () => undefined })]);
    await expect(start()).rejects.toThrow(/badCron.*NCRONTAB/);
  });

  it('never runs one timer twice at the same time', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const { start, lines } = hostWith([
      timerFunction('slow', {
        schedule: EVERY_SECOND,
        runOnStartup: true,
        handler: async () => {
          running++;
          runs++;
          maxRunning = Math.max(maxRunning, running);
          if (runs === 1) await blocked;
          running--;
        },
      }),
    ]);
    const host = await start();
    try {
      await eventually('a skipped occurrence', () => lines.some((l) => l.level === 'warn' && l.msg.includes('still running')));
      release();
      await eventually('a run after the slow one', () => runs >= 2);
    } finally {
      release();
      await host.close();
    }
    expect(maxRunning).toBe(1);
  });

  it('keeps the schedule after a run fails and logs the failure', async () => {
    let runs = 0;
    const { start, lines } = hostWith([
      timerFunction('failing', {
        schedule: EVERY_SECOND,
        handler: () => {
          runs++;
          throw new Error('timer broke');
        },
      }),
    ]);
    const host = await start();
    try {
      await eventually('a second run after a failure', () => runs >= 2);
    } finally {
      await host.close();
    }
    expect(lines.filter((l) => l.level === 'error' && l.fields.functionName === 'failing').length).toBeGreaterThanOrEqual(1);
  });

  it('waits for a running timer before close() resolves and does not start another', async () => {
    const order: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    let runs = 0;
    const { start } = hostWith([
      timerFunction('draining', {
        schedule: FAR_AWAY,
        runOnStartup: true,
        handler: async () => {
          runs++;
          order.push('started');
          await blocked;
          order.push('finished');
        },
      }),
    ]);
    const host = await start();
    await eventually('the run to start', () => order.includes('started'));
    const closed = host.close().then(() => order.push('closed'));
    await new Promise((r) => setImmediate(r));
    release();
    await closed;
    expect(order).toEqual(['started', 'finished', 'closed']);
    expect(runs).toBe(1);
  });

  it('accepts 5-field cron and hh:mm:ss intervals', () => {
    const from = new Date('2026-01-01T00:00:30Z');
    expect(parseSchedule('*/5 * * * *', 'UTC').next(from).toISOString()).toBe('2026-01-01T00:05:00.000Z');
    expect(parseSchedule('00:10:00', 'UTC').next(from).toISOString()).toBe('2026-01-01T00:10:30.000Z');
    expect(parseSchedule('0 */5 * * * *', 'UTC').next(from).toISOString()).toBe('2026-01-01T00:05:00.000Z');
  });
});
