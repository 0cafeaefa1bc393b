/**
 * The demo tenant file's shape: the collections the Graph sandbox loads.
 */

import type {
  AuthenticationMethodsPolicy,
  ConditionalAccessPolicy,
  CountryNamedLocation,
  Device,
  Group,
  IpNamedLocation,
  PhoneAuthenticationMethod,
  RiskDetection,
  RiskyUser,
  ServicePrincipal,
  SignIn,
  SmsAuthenticationMethodConfiguration,
  TemporaryAccessPassAuthenticationMethod,
  TemporaryAccessPassAuthenticationMethodConfiguration,
  User,
} from '@microsoft/microsoft-graph-types';

export type OData<T> = T & { '@odata.type': string };

export type DemoGroup = Omit<Group, 'members'> & { members: string[] };

export interface DemoTenantFile {
  tenant: { id: string; displayName: string; defaultDomain: string };
  users: User[];
  groups: DemoGroup[];
  devices: Device[];
  servicePrincipals: ServicePrincipal[];
  sponsors: Record<string, string[]>;
  phoneMethods: Record<string, PhoneAuthenticationMethod[]>;
  temporaryAccessPassMethods: Record<string, TemporaryAccessPassAuthenticationMethod[]>;
  directoryRoleAssignments: { principalId: string; roleDefinitionId: string; roleName: string }[];
  riskyUsers: RiskyUser[];
  riskDetections: RiskDetection[];
  signIns: SignIn[];
  conditionalAccessPolicies: ConditionalAccessPolicy[];
  namedLocations: (OData<IpNamedLocation> | OData<CountryNamedLocation>)[];
  authenticationMethodsPolicy: Omit<AuthenticationMethodsPolicy, 'authenticationMethodConfigurations'> & {
    authenticationMethodConfigurations: (
      OData<TemporaryAccessPassAuthenticationMethodConfiguration> | OData<SmsAuthenticationMethodConfiguration>
    )[];
  };
}
