import { createHash } from 'node:crypto';

import type { TicketDraft, TicketNote, TicketSection } from './port';

/** Plain-text rendering of ticket sections (ServiceNow description and journal fields take plain text). */
export function sectionsAsText(sections: readonly TicketSection[]): string {
  return sections
    .map((s) => [s.heading, ...s.lines.map((line) => (s.lines.length > 1 ? `- ${line}` : line))].join('\n'))
    .join('\n\n');
}

/**
 * A note's text with a trailing marker naming its id. Journal entries and comments have no idempotency key; the marker
 * lets a person (and a later dedupe) tell a retried note from a new one.
 */
export const noteText = (note: TicketNote): string => `${note.text}\n\n[entra-ops note ${note.noteId}]`;

/** A short stable digest of a dedupe key, for systems whose fields cannot hold the key itself. */
export const keyDigest = (key: string, length = 40): string =>
  createHash('sha256').update(key, 'utf8').digest('hex').slice(0, length);

export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Sections plus the facts block, for systems that keep only text. */
export function draftText(draft: TicketDraft): string {
  const facts = Object.entries(draft.facts ?? {});
  const sections =
    facts.length === 0
      ? draft.sections
      : [...draft.sections, { heading: 'Facts', lines: facts.map(([k, v]) => `${k}: ${String(v)}`) }];
  return `${sectionsAsText(sections)}\n\nentra-ops key: ${draft.key}`;
}
