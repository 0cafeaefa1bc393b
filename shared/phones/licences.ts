/**
 * The one place that says which licences allow SMS sign-in.
 *
 * Microsoft's requirement (SMS-based authentication, Microsoft Entra ID licensing; the seed post repeats it): each
 * user enabled for SMS sign-in needs Microsoft 365 F1 or F3, Microsoft Entra ID P1 or P2 (formerly Azure AD Premium),
 * Enterprise Mobility + Security E3 or E5, Microsoft 365 E3 or E5, or Office 365 F3.
 *
 * Graph shows a user's licences as `assignedPlans` (service plans, with `capabilityStatus`) and `assignedLicenses`
 * (product SKUs). Identifiers from "Product names and service plan identifiers for licensing"
 * (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference, MicrosoftDocs/entra-docs
 * docs/identity/users/licensing-service-plan-reference.md):
 * - Service plan AAD_PREMIUM `41781fb2-bc02-4b7c-bd55-b576c07bb09d` (Microsoft Entra ID P1) and AAD_PREMIUM_P2
 *   `eec0eb4f-6444-4f95-aba0-50c24d67f998` (P2). Every listed product except Office 365 F3 includes the P1 plan:
 *   Entra ID P1 (AAD_PREMIUM, SKU 078d2b04-…) and P2 (AAD_PREMIUM_P2, SKU 84a661c4-…), EMS E3/E5, Microsoft 365 E3
 *   (SPE_E3, 05e9a617-…) and E5 (SPE_E5, 06ebc4ee-…), Microsoft 365 F1 and F3. So an enabled P1 or P2 plan qualifies.
 * - Office 365 F3 (DESKLESSPACK) has no Entra ID P1 plan, so it is matched by its SKU id.
 * Plans are checked with their `capabilityStatus`, so a P1 plan an admin switched off inside a product does not count.
 */
export const SMS_SIGN_IN_SERVICE_PLANS: Readonly<Record<string, string>> = {
  '41781fb2-bc02-4b7c-bd55-b576c07bb09d': 'AAD_PREMIUM (Microsoft Entra ID P1)',
  'eec0eb4f-6444-4f95-aba0-50c24d67f998': 'AAD_PREMIUM_P2 (Microsoft Entra ID P2)',
};

/** Products without an Entra ID P1 plan that still qualify: matched by `assignedLicenses[].skuId`. */
export const SMS_SIGN_IN_SKUS_WITHOUT_P1: Readonly<Record<string, string>> = {
  '4b585984-651b-448a-9e53-3b10f069cf7f': 'DESKLESSPACK (Office 365 F3)',
};

export interface LicenceFacts {
  readonly assignedPlans?:
    readonly { readonly servicePlanId?: string | null; readonly capabilityStatus?: string | null }[] | null;
  readonly assignedLicenses?: readonly { readonly skuId?: string | null }[] | null;
}

// "Warning" is the grace period after a subscription lapses: the service still works.
const ACTIVE = new Set(['enabled', 'warning']);

export function hasSmsSignInLicence(user: LicenceFacts): boolean {
  for (const plan of user.assignedPlans ?? []) {
    const id = plan.servicePlanId?.toLowerCase();
    if (id && id in SMS_SIGN_IN_SERVICE_PLANS && ACTIVE.has((plan.capabilityStatus ?? '').toLowerCase())) return true;
  }
  for (const licence of user.assignedLicenses ?? []) {
    const id = licence.skuId?.toLowerCase();
    if (id && id in SMS_SIGN_IN_SKUS_WITHOUT_P1) return true;
  }
  return false;
}
