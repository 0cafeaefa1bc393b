/**
 * Fault injection (knobs.faults). A rule without `rate` is count-based: the next `times` matching requests fail, then
 * the rule is spent. A rule with `rate` is a storm: each matching request fails with that probability until `times`
 * faults were injected. Storm draws come from a PRNG seeded with `knobs.faultSeed` and restarted whenever the rules or
 * the seed are replaced, so the same requests in the same order meet the same faults (concurrent requests arrive in
 * an order the sandbox does not control, so a concurrent client sees the same fault rate, not the same sequence).
 */
import type { FaultRule } from './knobs';

/** mulberry32: small, fast and good enough to pick which requests fail (and, in the kill suite, where to kill). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number = seededRandom(1);
  private seededFor: { rules: FaultRule[]; seed: number } | undefined;

  constructor(
    private readonly rules: () => FaultRule[],
    private readonly seed: () => number = () => 1,
  ) {}

  /**
   * Consumes and returns the first live rule matching this request, if any. `after` rules match only once the
   * request has been applied (a lost response), `before` rules (the default) only before it runs. Storm rules that
   * match share one draw per request and phase, so their rates add up: four rules at 0.05 fault 20% of requests.
   */
  take(template: string, inBatch: boolean, phase: 'before' | 'after' = 'before'): FaultRule | undefined {
    const rules = this.rules();
    let draw: number | undefined;
    let cumulative = 0;
    for (const rule of rules) {
      if (!this.applies(rule, template, inBatch, phase)) continue;
      if (rule.rate !== undefined) {
        draw ??= this.next(rules);
        cumulative += rule.rate;
        if (draw >= cumulative) continue;
      }
      rule.times--;
      return rule;
    }
    return undefined;
  }

  private applies(rule: FaultRule, template: string, inBatch: boolean, phase: 'before' | 'after'): boolean {
    if (rule.times <= 0) return false;
    if ((rule.when ?? 'before') !== phase) return false;
    const route = rule.route ?? '*';
    if (route !== '*' && route !== template) return false;
    const scope = rule.scope ?? 'any';
    if (inBatch && scope === 'topLevel') return false;
    return inBatch || scope !== 'batchItem';
  }

  private next(rules: FaultRule[]): number {
    const seed = this.seed();
    if (this.seededFor?.rules !== rules || this.seededFor.seed !== seed) {
      this.random = seededRandom(seed);
      this.seededFor = { rules, seed };
    }
    return this.random();
  }
}

/**
 * Thrown by the `$batch` route when one of its items drew a `reset`: the connection carrying the whole batch drops
 * after every item ran, so the client learns nothing about the items that were applied.
 */
export class ConnectionReset extends Error {
  constructor() {
    super('connection reset');
  }
}
