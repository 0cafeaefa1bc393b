import type { TicketDirectory } from '../remediation/ports';
import type { TicketProvider } from '../ticketing/port';
import type { Services } from './services';

export function ticketDirectory(_services: Services): TicketDirectory {
  throw new Error('not wired');
}

export function ticketNotes(_services: Services): TicketProvider | undefined {
  return undefined;
}
