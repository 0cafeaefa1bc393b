/** The three built-in authentication strengths every tenant has (authenticationstrengthroot-list-policies.md). */
import type { Json } from './types';

const BUILT_IN_DATE = '2021-12-01T00:00:00Z';
const MFA_COMBINATIONS = [
  'windowsHelloForBusiness',
  'fido2',
  'x509CertificateMultiFactor',
  'deviceBasedPush',
  'temporaryAccessPassOneTime',
  'temporaryAccessPassMultiUse',
  'password,microsoftAuthenticatorPush',
  'password,softwareOath',
  'password,hardwareOath',
  'password,x509CertificateSingleFactor',
  'password,x509CertificateMultiFactor',
  'password,sms',
  'password,voice',
  'federatedMultiFactor',
  'microsoftAuthenticatorPush,federatedSingleFactor',
  'softwareOath,federatedSingleFactor',
  'hardwareOath,federatedSingleFactor',
  'sms,federatedSingleFactor',
  'voice,federatedSingleFactor',
];

const builtIn = (n: number, displayName: string, description: string, allowedCombinations: string[]): Json => ({
  id: `00000000-0000-0000-0000-00000000000${n}`,
  createdDateTime: BUILT_IN_DATE,
  modifiedDateTime: BUILT_IN_DATE,
  displayName,
  description,
  policyType: 'builtIn',
  requirementsSatisfied: 'mfa',
  allowedCombinations,
  combinationConfigurations: [],
});

export const BUILT_IN_AUTHENTICATION_STRENGTHS: readonly Json[] = [
  builtIn(
    2,
    'Multifactor authentication',
    'Combinations of methods that satisfy strong authentication, such as a password + SMS',
    MFA_COMBINATIONS,
  ),
  builtIn(
    3,
    'Passwordless MFA',
    'Passwordless methods that satisfy strong authentication, such as Passwordless sign-in with the Microsoft Authenticator',
    ['windowsHelloForBusiness', 'fido2', 'x509CertificateMultiFactor', 'deviceBasedPush'],
  ),
  builtIn(
    4,
    'Phishing resistant MFA',
    'Phishing resistant, Passwordless methods for the strongest authentication, such as a FIDO2 security key',
    ['windowsHelloForBusiness', 'fido2', 'x509CertificateMultiFactor'],
  ),
];
