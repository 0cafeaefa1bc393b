/**
 * Sign-in error codes that Conditional Access produces (Microsoft Entra authentication and authorization error codes,
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes). 53xxx and 530xxx are the CA families.
 */
const MEANINGS: Readonly<Record<number, string>> = {
  53000: 'DeviceNotCompliant: Conditional Access requires a compliant device, and the device is not compliant',
  53001: 'DeviceNotDomainJoined: Conditional Access requires a domain-joined device, and the device is not domain joined',
  53002: 'ApplicationUsedIsNotAnApprovedApp: Conditional Access requires an approved client app',
  53003: 'BlockedByConditionalAccess: access has been blocked by Conditional Access policies',
  53004: 'ProofUpBlockedDueToRisk: the user must complete MFA registration, which is blocked because of risk',
  53010: 'ProofUpBlockedDueToSecurityInfoAcr: MFA registration is blocked by a Conditional Access policy',
  53011: 'UserBlockedDueToRiskOnHomeTenant: the guest is blocked because of risk in their home tenant',
  530032: 'BlockedByConditionalAccessOnSecurityPolicy: the tenant security policy (Conditional Access) blocked the sign-in',
};

/** Whether the code belongs to the Conditional Access families (530xx and 5300xx/5301xx, e.g. 530032). */
export function isConditionalAccessCode(code: number): boolean {
  return (code >= 53000 && code <= 53099) || (code >= 530000 && code <= 530999);
}

export function meaningOf(code: number): string {
  return MEANINGS[code] ?? `Conditional Access error ${code} (see the Microsoft Entra error code reference)`;
}
