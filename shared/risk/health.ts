import type { TicketProvider } from '../ticketing/port';
import type { RiskStateStore } from './ports';

export interface RiskHealth {
  readonly ok: boolean;
  /** `absent`: no Entra ID P2; risk levels are hidden and tickets say so. Not a fault. */
  readonly entraIdP2: 'present' | 'absent' | 'unknown';
  readonly missingPermissions: readonly { readonly permission: string; readonly route: string; readonly at: string }[];
  readonly ticketProvider: { readonly name: string; readonly ok: boolean; readonly detail?: string };
  readonly detail?: string;
}

/**
 * What /api/health says about risk tickets: what the last poll learned (licence, permissions Graph refused), a
 * provider that refused our calls (bad credentials are a person's job, not a retry loop), and a live provider check.
 */
export async function checkRiskHealth(state: RiskStateStore, provider: TicketProvider): Promise<RiskHealth> {
  const [facts, check] = await Promise.all([
    state.getTenantFacts(),
    provider.check().catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) })),
  ]);
  const problem = facts?.providerProblem;
  const providerOk = check.ok && problem === undefined;
  const missing = facts?.missingPermissions ?? [];
  const notes = [
    ...missing.map((m) => `Graph refused ${m.route}: grant ${m.permission}`),
    ...(problem ? [`${problem.provider} refused a ticket call at ${problem.at}: ${problem.message}`] : []),
    ...(check.ok ? [] : [`${provider.name} check failed: ${check.detail ?? 'no detail'}`]),
    ...(facts?.p2 === 'absent' ? ['No Microsoft Entra ID P2: risk levels are hidden and riskyUsers cannot be read'] : []),
  ];
  return {
    ok: providerOk && missing.length === 0,
    entraIdP2: facts?.p2 ?? 'unknown',
    missingPermissions: missing,
    ticketProvider: {
      name: provider.name,
      ok: providerOk,
      ...(problem ? { detail: problem.message } : check.detail ? { detail: check.detail } : {}),
    },
    ...(notes.length > 0 ? { detail: notes.join('; ') } : {}),
  };
}
