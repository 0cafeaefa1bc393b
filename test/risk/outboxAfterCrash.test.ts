import { describe, expect, it } from 'vitest';

import { createLogger } from '../../shared/log';
import { pollRisk } from '../../shared/risk/poll';
import { riskDeps } from '../../shared/runtime/risk';
import { getServices } from '../../shared/runtime/services';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { BuiltinTicketProvider } from '../../shared/ticketing/builtin';
import type { TicketProvider } from '../../shared/ticketing/port';
import { stackSettings, useAppStack } from '../helpers/appStack';
import { eventually } from '../helpers/host';

/**
 * Found by the kill-and-re-run suite: a poll that died after storing a ticket and before reaching the ticket system
 * left it `pending` with no retry queued (only a failed push queues one), and the next poll, seeing nothing new about
 * the user, never pushed it: the ticket never reached the ticket system. The death is a push that never returns.
 */
const SCALE = 50;
useAppStack(
  (stack) => ({
    harness: stack,
    env: { ...stackSettings(stack, 'risk-outbox'), GRAPH_PACING_TIME_SCALE: String(SCALE), LOG_LEVEL: 'silent' },
  }),
  { knobs: { timeScale: SCALE } },
);

describe('a risk ticket stored by a poll that died before pushing it', () => {
  it('is pushed to the ticket system by the next poll, once', async () => {
    const services = getServices();
    const log = createLogger('silent');
    const builtin = new BuiltinTicketProvider(services.storage);
    let stuck = 0;
    const dying: TicketProvider = {
      name: builtin.name,
      open: () => {
        stuck++;
        return new Promise<never>(() => undefined);
      },
      addNote: (ref, note) => builtin.addNote(ref, note),
      resolve: (ref, note) => builtin.resolve(ref, note),
      check: () => builtin.check(),
    };
    // The first poll stores every ticket and hangs in every push: from here on, nothing of it runs.
    void pollRisk(riskDeps(services, log, { provider: dying }));
    const repo = new TableTicketRepository(services.storage);
    await eventually('every ticket stored and its push started', async () => {
      const tickets = await repo.list({});
      return tickets.length > 0 && tickets.length === stuck;
    });
    const left = await repo.list({});
    expect(left.every((t) => t.provider.status === 'pending' && t.provider.attempts === 0)).toBe(true);

    const next = await pollRisk(riskDeps(services, log, { provider: builtin }));
    expect(next.errors).toEqual([]);
    // The users the dead poll never reached are opened now; the ones it stored are pushed, not opened again.
    const after = await repo.list({});
    expect(new Set(after.map((t) => t.userId)).size).toBe(after.length);
    for (const t of left) expect(after.map((a) => a.ticketId)).toContain(t.ticketId);
    for (const t of after) {
      expect(t.provider.status).toBe('synced');
      expect(t.provider.externalId).toBeDefined();
      expect(await builtin.get(t.key)).toBeDefined();
    }
  });
});
