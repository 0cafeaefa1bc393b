/**
 * Loaded first by killChild.ts: moves the child's `Date` KILL_CLOCK_OFFSET_MS ahead of real time, so a host started
 * after a kill sees the dead process's leases (stored as times) as lapsed, as a host restarted that much later would.
 * Only Date moves: timers, and the storage and Graph servers in other processes, keep real time.
 */
const offset = Number(process.env.KILL_CLOCK_OFFSET_MS ?? 0);

if (offset !== 0) {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }

    static override now(): number {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}

export {};
