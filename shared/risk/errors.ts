/**
 * Graph refused a read with 403. Graph's body does not say whether the app lacks the permission or the tenant lacks
 * the licence (riskyUsers needs Entra ID P2), so the adapter names the permission the route needs and the job decides
 * what the tenant lacks from what else it can read.
 */
export class RiskAccessDenied extends Error {
  override readonly name = 'RiskAccessDenied';
  constructor(
    readonly route: string,
    /** The least-privileged application permission the route needs. */
    readonly permission: string,
    /** True for routes that also need Entra ID P2 (riskyUsers). */
    readonly licenceRequired: boolean,
  ) {
    super(
      `Graph refused ${route} (403): grant the application permission ${permission}${
        licenceRequired ? ' (this route also needs Microsoft Entra ID P2 in the tenant)' : ''
      }`,
    );
  }
}
