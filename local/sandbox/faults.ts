/** Count-based fault injection (knobs.faults): the next `times` matching requests fail, then the rule is spent. */
import type { FaultRule } from './knobs';

export class FaultInjector {
  constructor(private readonly rules: () => FaultRule[]) {}

  /**
   * Consumes and returns the first live rule matching this request, if any. `after` rules match only once the
   * request has been applied (a lost response), `before` rules (the default) only before it runs.
   */
  take(template: string, inBatch: boolean, phase: 'before' | 'after' = 'before'): FaultRule | undefined {
    for (const rule of this.rules()) {
      if (rule.times <= 0) continue;
      if ((rule.when ?? 'before') !== phase) continue;
      const route = rule.route ?? '*';
      if (route !== '*' && route !== template) continue;
      const scope = rule.scope ?? 'any';
      if (inBatch && (scope === 'topLevel' || rule.kind === 'reset')) continue;
      if (!inBatch && scope === 'batchItem') continue;
      rule.times--;
      return rule;
    }
    return undefined;
  }
}
