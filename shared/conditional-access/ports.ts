/**
 * The small interfaces the Conditional Access helpers are written against. Adapters: shared/graph/conditionalAccess.ts,
 * shared/graph/signIns.ts, shared/storage/caBackupStore.ts, shared/storage/caRunStore.ts.
 */
import type { TicketDraft, TicketRef } from '../ticketing/port';
import type { CaPolicy, Json } from './model';

export interface PolicyReader {
  listPolicies(): Promise<CaPolicy[]>;
  /** `undefined` when the policy does not exist (404). */
  getPolicy(id: string): Promise<CaPolicy | undefined>;
  listNamedLocations(): Promise<Json[]>;
  listAuthenticationStrengths(): Promise<Json[]>;
}

export interface PolicyWriter {
  createPolicy(body: Json): Promise<CaPolicy>;
  /** PATCH with only the given properties (conditionalaccesspolicy-update.md). */
  updatePolicy(id: string, body: Json): Promise<void>;
}

export type DirectoryObjectType = 'user' | 'group' | 'servicePrincipal' | 'device' | 'other';

export interface DirectoryName {
  readonly id: string;
  readonly type: DirectoryObjectType;
  readonly displayName: string | null;
  /** Users only: the sign-in name, which is how a user is found again in another tenant. */
  readonly userPrincipalName?: string | null;
}

export interface UserRef {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string | null;
  readonly userType: 'Member' | 'Guest';
}

export interface DirectoryLookup {
  /** Objects that exist, by id (unknown ids are simply absent). */
  namesOf(ids: readonly string[]): Promise<Map<string, DirectoryName>>;
  /** A user by object id or userPrincipalName; `undefined` when there is none. */
  findUser(ref: string): Promise<UserRef | undefined>;
  /** Ids of the groups the object belongs to, directly or through nesting. */
  groupsOf(objectId: string): Promise<Set<string>>;
  /** Objects of a type with exactly this display name (users: this userPrincipalName), for mapping across tenants. */
  findByName(type: 'user' | 'group', name: string): Promise<DirectoryName[]>;
}

export interface SignInQuery {
  readonly userId: string;
  readonly since: Date;
  readonly correlationId?: string;
}

export interface SignInReader {
  /** Sign-ins of the user in the window, newest first, with `appliedConditionalAccessPolicies` as Graph returns them. */
  signIns(query: SignInQuery): Promise<Json[]>;
}

export interface TicketOpener {
  open(draft: TicketDraft): Promise<TicketRef>;
}
