/**
 * Counters of one scope. Increments also go to the parent scope, so a gateway's counters are the total of every run
 * it served and a run's counters are exactly its own (plus any sub-scopes it made).
 */

import type { GraphCounters } from './types';

export type CounterName = keyof GraphCounters;

export class CounterSet {
  private readonly values: Record<CounterName, number> = { httpCalls: 0, subRequests: 0, throttled: 0, retries: 0 };

  constructor(private readonly parent?: CounterSet) {}

  add(name: CounterName, n = 1): void {
    if (n === 0) return;
    this.values[name] += n;
    this.parent?.add(name, n);
  }

  snapshot(): GraphCounters {
    return Object.freeze({ ...this.values });
  }
}
