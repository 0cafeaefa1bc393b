/**
 * The episode rule, decided once and purely: given the user's current risk, whether a guest is blocked for home-tenant
 * risk, and the user's open ticket (if any), open a new episode, update the open one, resolve it, or do nothing.
 */
import {
  type EpisodeReason,
  isAtRiskState,
  isClearedState,
  meetsMinimum,
  type MinimumLevel,
  type RiskTicket,
  type RiskView,
  type UserKind,
} from './model';

export type EpisodeDecision =
  | { readonly action: 'open'; readonly reason: EpisodeReason }
  | { readonly action: 'update' }
  | { readonly action: 'resolve'; readonly note: string }
  | { readonly action: 'none'; readonly why: 'notAtRisk' | 'belowMinimum' };

export interface EpisodeInput {
  /** undefined when the risk could not be read (no P2, no permission) and no signal stated it. */
  readonly view: RiskView | undefined;
  readonly kind: UserKind;
  readonly homeTenantBlock: boolean;
  readonly open: Pick<RiskTicket, 'reason'> | undefined;
  readonly minLevel: MinimumLevel;
}

export function resolutionNote(view: RiskView): string {
  if (view.noRecord) return 'Identity Protection no longer has a risk record for this user; the ticket is resolved.';
  const how = view.detail && view.detail !== 'none' ? ` (${view.detail})` : '';
  return `The user's risk was ${view.state ?? 'cleared'}${how} outside this ticket${
    view.lastUpdated ? ` at ${view.lastUpdated}` : ''
  }; sign-in works again within 10–15 minutes. Resolved automatically.`;
}

export function decideEpisode(input: EpisodeInput): EpisodeDecision {
  const { view, open } = input;
  const atRisk = view !== undefined && isAtRiskState(view.state);
  if (open) {
    // A home-tenant block is not visible in this tenant's riskyUsers, so its riskyUser state cannot close it.
    if (open.reason === 'userRisk' && view !== undefined && !atRisk && (view.noRecord || isClearedState(view.state)))
      return { action: 'resolve', note: resolutionNote(view) };
    return { action: 'update' };
  }
  if (atRisk) {
    if (meetsMinimum(view.level, input.minLevel)) return { action: 'open', reason: 'userRisk' };
    if (!(input.homeTenantBlock && input.kind === 'guest')) return { action: 'none', why: 'belowMinimum' };
  }
  if (input.homeTenantBlock && input.kind === 'guest') return { action: 'open', reason: 'homeTenantBlock' };
  return { action: 'none', why: 'notAtRisk' };
}
