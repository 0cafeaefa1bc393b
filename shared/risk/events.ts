/**
 * One Event Grid event (the trigger runs once per event, for both schemas, single or batched): dedupe its id, find
 * the signals in its data, and hand each user to the same handler the poller uses.
 */
import type { Logger } from '../log';
import { handleUser, type RiskDeps, type UserOutcome } from './handleUser';
import type { RiskSignal } from './model';
import type { EventLedger } from './ports';
import { parseEnvelope, signalsFromData } from './signals';

export type EventOutcome =
  | { readonly outcome: 'handled'; readonly eventId: string; readonly shape: string; readonly users: readonly UserOutcome[] }
  | { readonly outcome: 'duplicate'; readonly eventId: string }
  | { readonly outcome: 'unknownShape'; readonly eventId: string; readonly type: string };

/**
 * The event is malformed: Event Grid must not be told it was delivered. The trigger fails, Event Grid retries and,
 * with dead-lettering configured, parks it in the dead-letter container for a person to look at.
 */
export class InvalidRiskEvent extends Error {
  override readonly name = 'InvalidRiskEvent';
}

function byUser(signals: readonly RiskSignal[]): RiskSignal[][] {
  const groups = new Map<string, RiskSignal[]>();
  for (const s of signals) {
    const key = (s.user.id ?? s.user.userPrincipalName ?? '').toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}

export async function handleRiskEvent(
  deps: RiskDeps & { readonly events: EventLedger },
  raw: unknown,
  log: Logger,
): Promise<EventOutcome> {
  const envelope = parseEnvelope(raw);
  if (!envelope.ok) throw new InvalidRiskEvent(`Not an Event Grid or CloudEvents 1.0 event: ${envelope.message}`);
  const event = envelope.event;
  const parsed = signalsFromData(event);
  if (parsed.kind === 'invalid')
    throw new InvalidRiskEvent(`Event ${event.id} looks like a ${parsed.shape} but is malformed: ${parsed.message}`);
  // Ids are unique per publisher; two publishers may reuse one.
  const ledgerKey = `${event.publisher}|${event.id}`;
  if (!(await deps.events.claim(ledgerKey))) return { outcome: 'duplicate', eventId: event.id };
  try {
    if (parsed.kind === 'unknown') {
      log.warn(
        { eventId: event.id, type: event.type, publisher: event.publisher },
        'risk event: data matches no known shape; acknowledged',
      );
      await deps.events.complete(ledgerKey);
      return { outcome: 'unknownShape', eventId: event.id, type: event.type };
    }
    const users: UserOutcome[] = [];
    for (const group of byUser(parsed.signals)) users.push(await handleUser(deps, group, { signInReads: 1 }));
    await deps.events.complete(ledgerKey);
    return { outcome: 'handled', eventId: event.id, shape: parsed.shape, users };
  } catch (e) {
    await deps.events.release(ledgerKey);
    throw e;
  }
}
