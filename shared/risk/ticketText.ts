/**
 * What the helpdesk reads: title, severity and sections for members and for guests. Plain lines only; each ticket
 * provider formats them (plain text, ServiceNow journal, Jira ADF).
 */
import type { DetectionFacts, EpisodeReason, RiskLevel, RiskState, SignInFacts, UserFacts } from './model';

export interface Enrichment {
  readonly detections: readonly DetectionFacts[];
  readonly signIns: readonly SignInFacts[];
  /** undefined = not read (a limit or a permission); the ticket says so rather than claiming "none". */
  readonly signInsNote?: string;
  readonly authMethods?: readonly string[];
  readonly privilegedRoles?: readonly string[];
  readonly sponsors?: readonly string[];
  readonly p2Absent: boolean;
}

export interface TicketTextInput {
  readonly user: UserFacts;
  readonly reason: EpisodeReason;
  readonly level?: RiskLevel;
  readonly state?: RiskState;
  readonly detail?: string;
  readonly enrichment: Enrichment;
}

export interface TicketText {
  readonly title: string;
  readonly severity: 'low' | 'medium' | 'high';
  readonly sections: { heading: string; lines: string[] }[];
}

const homeDomain = (upn: string): string | undefined => {
  // Guest UPNs look like alias_home.example#EXT#@resource.onmicrosoft.com.
  const m = /^.+_([^_#]+)#EXT#@/i.exec(upn);
  return m?.[1];
};

function severityOf(input: TicketTextInput): 'low' | 'medium' | 'high' {
  if (input.reason === 'homeTenantBlock') return 'medium';
  if (input.state === 'confirmedCompromised' || input.level === 'high' || input.level === 'hidden') return 'high';
  if ((input.enrichment.privilegedRoles?.length ?? 0) > 0) return 'high';
  return input.level === 'low' ? 'low' : 'medium';
}

const detectionLine = (d: DetectionFacts): string =>
  [
    d.riskEventType,
    d.riskLevel ? `level ${d.riskLevel}` : undefined,
    d.detectedDateTime ? `detected ${d.detectedDateTime}` : undefined,
    d.ipAddress ? `IP ${d.ipAddress}` : undefined,
    d.location,
  ]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(', ');

const signInLine = (s: SignInFacts): string =>
  [
    s.createdDateTime,
    `error ${s.errorCode}${s.failureReason ? ` (${s.failureReason})` : ''}`,
    s.appDisplayName,
    s.ipAddress ? `IP ${s.ipAddress}` : undefined,
    s.location,
    s.failedPolicies.length > 0 ? `failed Conditional Access: ${s.failedPolicies.join('; ')}` : undefined,
  ]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(', ');

function riskSection(input: TicketTextInput): { heading: string; lines: string[] } {
  const e = input.enrichment;
  const lines: string[] = [];
  if (input.reason === 'homeTenantBlock') {
    lines.push(
      'Sign-ins of this guest fail with error 53011 "User blocked due to risk on home tenant": the guest\'s home organization flagged the account.',
    );
  } else {
    lines.push(
      `User risk: level ${input.level ?? 'not reported'}, state ${input.state ?? 'not reported'}${input.detail && input.detail !== 'none' ? `, detail ${input.detail}` : ''}.`,
    );
  }
  if (e.p2Absent) {
    lines.push(
      'This tenant has no Microsoft Entra ID P2: Graph reports the risk level as "hidden", premium detections as "generic", and riskyUsers cannot be read; judge the risk from the detections and sign-ins below.',
    );
  }
  if (e.detections.length > 0) lines.push(...e.detections.slice(0, 10).map((d) => `Detection: ${detectionLine(d)}`));
  else if (input.reason === 'userRisk') lines.push('No detections were returned for this user in the lookback window.');
  return { heading: 'What happened', lines };
}

function signInSection(e: Enrichment): { heading: string; lines: string[] } {
  const lines = e.signIns.slice(0, 10).map(signInLine);
  if (e.signInsNote) lines.push(e.signInsNote);
  else if (lines.length === 0) lines.push('No failed or risky sign-ins in the lookback window.');
  return { heading: 'Recent risky or blocked sign-ins', lines };
}

function userSection(input: TicketTextInput): { heading: string; lines: string[] } {
  const { user, enrichment: e } = input;
  const lines = [
    `${user.displayName ?? user.userPrincipalName} <${user.userPrincipalName}>, object id ${user.id}, ${user.kind}${
      user.accountEnabled === false ? ', sign-in blocked (accountEnabled false)' : ''
    }.`,
  ];
  if (user.kind === 'guest') {
    const home = homeDomain(user.userPrincipalName);
    lines.push(
      `Guest${home ? ` from ${home}` : ''}${user.creationType ? `, created by ${user.creationType}` : ''}${
        user.externalUserState ? `, invitation ${user.externalUserState}` : ''
      }.`,
    );
    lines.push(e.sponsors && e.sponsors.length > 0 ? `Sponsors: ${e.sponsors.join('; ')}.` : 'No sponsors recorded.');
  } else {
    lines.push(
      user.onPremisesSyncEnabled
        ? 'Synchronized from on-premises Active Directory: a password reset here needs password writeback to reach AD.'
        : 'Cloud-only account.',
    );
  }
  if (e.privilegedRoles === undefined) lines.push('Privileged roles: not read.');
  else
    lines.push(e.privilegedRoles.length > 0 ? `Privileged roles: ${e.privilegedRoles.join(', ')}.` : 'Privileged roles: none.');
  if (e.authMethods === undefined) lines.push('Registered authentication methods: not read.');
  else lines.push(`Registered authentication methods: ${e.authMethods.length > 0 ? e.authMethods.join(', ') : 'none'}.`);
  return { heading: 'User', lines };
}

function nextSteps(input: TicketTextInput): { heading: string; lines: string[] } {
  const { user, enrichment: e } = input;
  if (user.kind === 'guest') {
    return {
      heading: 'What to do next',
      lines: [
        "A guest's user risk is computed and remediated in their home tenant: it cannot be dismissed or reset from this tenant.",
        "Ask the guest to contact their own IT department (or contact the home tenant's admins) to remediate the risk; once they do, sign-in works again.",
        "If guests should not be blocked by this tenant's user-risk policy, exclude them from it with a dynamic group (user.userType -eq \"Guest\"): entra-ops' guest-risk check lists the risk policies that include guests (GET /api/ca/guest-risk, or the console's Conditional Access page) and applies that fix after a dry run (POST /api/ca/guest-risk).",
        "Actions available here: revoke the guest's sessions, block sign-in, remove the guest from groups, or notify the sponsor.",
      ],
    };
  }
  const lines = [
    'A secure password reset (or a password change with MFA by the user), or an admin dismissing the risk if it is a false positive, clears the user risk; sign-in works again after 10–15 minutes.',
  ];
  if (input.state === 'confirmedCompromised')
    lines.push('The account was confirmed compromised: reset the password and revoke sessions before dismissing anything.');
  if (user.onPremisesSyncEnabled)
    lines.push(
      'The account is synchronized from on-premises AD: reset the password on-premises or make sure password writeback is on.',
    );
  const mfa = (e.authMethods ?? []).filter((m) => m !== 'password');
  if (e.authMethods !== undefined && mfa.length === 0)
    lines.push(
      'The user has no MFA method registered, so cannot self-remediate: an admin reset or a Temporary Access Pass is needed.',
    );
  if ((e.privilegedRoles?.length ?? 0) > 0) lines.push('The user holds privileged roles: treat as urgent.');
  return { heading: 'What to do next', lines };
}

export function ticketText(input: TicketTextInput): TicketText {
  const who = `${input.user.displayName ?? input.user.userPrincipalName} (${input.user.userPrincipalName})`;
  const title =
    input.reason === 'homeTenantBlock'
      ? `Guest blocked for home-tenant risk: ${who}`
      : `${input.user.kind === 'guest' ? 'At-risk guest' : 'At-risk user'}: ${who}, risk ${input.level ?? 'reported'}`;
  return {
    title,
    severity: severityOf(input),
    sections: [riskSection(input), signInSection(input.enrichment), userSection(input), nextSteps(input)],
  };
}
