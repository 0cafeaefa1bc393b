/**
 * The simulated tenant in memory: every collection keyed by id in Maps, a reverse member index (object → groups) so
 * memberOf, deletes and membership checks never scan all groups, and the delta change log.
 */
import { randomUUID } from 'node:crypto';

import { BUILT_IN_AUTHENTICATION_STRENGTHS } from './authStrengths';
import { ChangeLog } from './changeLog';
import type { TenantFile } from './tenantFile';
import type { Json } from './types';

export type DirectoryKind = 'user' | 'group' | 'device' | 'servicePrincipal';

export const ODATA_TYPE: Record<DirectoryKind, string> = {
  user: '#microsoft.graph.user',
  group: '#microsoft.graph.group',
  device: '#microsoft.graph.device',
  servicePrincipal: '#microsoft.graph.servicePrincipal',
};

export interface GroupRecord {
  obj: Json;
  /** Direct member ids in insertion order. */
  readonly members: Set<string>;
}

const clone = <T>(value: T): T => structuredClone(value);

export class TenantState {
  readonly epoch = randomUUID();
  readonly tenant: { id: string; displayName: string; defaultDomain: string; entraIdP2: boolean };
  readonly users = new Map<string, Json>();
  private readonly upnIndex = new Map<string, string>();
  readonly groups = new Map<string, GroupRecord>();
  readonly devices = new Map<string, Json>();
  readonly servicePrincipals = new Map<string, Json>();
  private readonly kinds = new Map<string, DirectoryKind>();
  /** objectId → ids of groups it is a direct member of. */
  private readonly memberOfIndex = new Map<string, Set<string>>();
  readonly sponsors = new Map<string, string[]>();
  /** userId → (methodId → phoneAuthenticationMethod, `smsSignInState` holds the stored state: ready | notEnabled). */
  readonly phoneMethods = new Map<string, Map<string, Json>>();
  /** Normalised number (`+<digits>`) → user id that has it `ready` for SMS sign-in. */
  readonly smsNumbers = new Map<string, string>();
  readonly tapMethods = new Map<string, Json>();
  readonly roleAssignments: Json[];
  readonly riskyUsers = new Map<string, Json>();
  readonly riskDetections: Json[];
  /** Newest first (auditLogs/signIns order). */
  readonly signIns: Json[];
  readonly caPolicies = new Map<string, Json>();
  readonly namedLocations = new Map<string, Json>();
  /** Built-in authentication strengths first (every tenant has them), then the tenant file's custom ones. */
  readonly authStrengths = new Map<string, Json>();
  authPolicy: Json;
  /** Objects created through the API: real-time ms before which they answer 404 (eventual consistency). */
  private readonly visibleAt = new Map<string, number>();
  readonly changes = new ChangeLog();

  constructor(file: TenantFile) {
    const f = clone(file);
    this.tenant = {
      id: f.tenant.id,
      displayName: f.tenant.displayName,
      defaultDomain: f.tenant.defaultDomain,
      // Licence of Identity Protection's full data (identityprotection-overview.md); absent = licensed.
      entraIdP2: f.tenant.entraIdP2 !== false,
    };
    for (const u of f.users ?? []) this.putUser(u);
    for (const d of f.devices ?? []) this.putKind(this.devices, d, 'device');
    for (const sp of f.servicePrincipals ?? []) this.putKind(this.servicePrincipals, sp, 'servicePrincipal');
    this.loadGroups(f.groups ?? []);
    for (const [userId, list] of Object.entries(f.sponsors ?? {})) this.sponsors.set(userId, [...list]);
    for (const [userId, list] of Object.entries(f.phoneMethods ?? {})) this.loadPhoneMethods(userId, list);
    for (const [userId, list] of Object.entries(f.temporaryAccessPassMethods ?? {})) {
      const last = list[list.length - 1];
      if (last) this.tapMethods.set(userId, { ...last });
    }
    this.roleAssignments = (f.directoryRoleAssignments ?? []).map((r) => ({ ...r }));
    for (const r of f.riskyUsers ?? []) this.riskyUsers.set(r.id, r);
    this.riskDetections = [...(f.riskDetections ?? [])];
    this.signIns = [...(f.signIns ?? [])].sort((a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime));
    for (const p of f.conditionalAccessPolicies ?? []) this.caPolicies.set(p.id, p);
    for (const l of f.namedLocations ?? []) this.namedLocations.set(l.id, l);
    for (const a of [...BUILT_IN_AUTHENTICATION_STRENGTHS.map(clone), ...(f.authenticationStrengthPolicies ?? [])]) {
      this.authStrengths.set(String(a.id), a);
    }
    this.authPolicy = f.authenticationMethodsPolicy ?? {
      id: 'authenticationMethodsPolicy',
      displayName: 'Authentication Methods Policy',
      authenticationMethodConfigurations: [],
    };
  }

  private loadGroups(groups: NonNullable<TenantFile['groups']>): void {
    for (const g of groups) {
      const { members: _members, ...rest } = g;
      this.groups.set(g.id, { obj: rest, members: new Set() });
      this.kinds.set(g.id, 'group');
    }
    // Members are linked after every object is known, so forward references between groups work.
    for (const g of groups) {
      const rec = this.groups.get(g.id);
      if (!rec) continue;
      for (const m of g.members ?? []) {
        if (!this.kinds.has(m)) throw new Error(`Invalid tenant file: group ${g.id} lists unknown member ${m}`);
        rec.members.add(m);
        this.indexMembership(m, g.id);
      }
    }
  }

  /** A mobile number is `ready` for SMS sign-in for at most one user: later claims of the same number load notEnabled. */
  private loadPhoneMethods(userId: string, list: NonNullable<TenantFile['phoneMethods']>[string]): void {
    const methods = new Map<string, Json>();
    for (const m of list) {
      const method: Json = { ...m, smsSignInState: 'notEnabled' };
      if (m.smsSignInState === 'ready' && m.phoneType === 'mobile') {
        const key = normalisePhone(m.phoneNumber);
        if (!this.smsNumbers.has(key)) {
          this.smsNumbers.set(key, userId);
          method.smsSignInState = 'ready';
        }
      }
      methods.set(m.id, method);
    }
    this.phoneMethods.set(userId, methods);
  }

  private putUser(u: Json & { id: string; userPrincipalName: string }): void {
    const upn = u.userPrincipalName.toLowerCase();
    if (this.upnIndex.has(upn)) throw new Error(`Invalid tenant file: duplicate userPrincipalName ${u.userPrincipalName}`);
    this.putKind(this.users, u, 'user');
    this.upnIndex.set(upn, u.id);
  }

  private putKind(map: Map<string, Json>, o: Json & { id: string }, kind: DirectoryKind): void {
    if (this.kinds.has(o.id)) throw new Error(`Invalid tenant file: duplicate directory object id ${o.id}`);
    map.set(o.id, o);
    this.kinds.set(o.id, kind);
  }

  // ---- eventual consistency -------------------------------------------------------------------------------------

  markCreated(id: string, visibleAtMs: number): void {
    if (visibleAtMs > Date.now()) this.visibleAt.set(id, visibleAtMs);
  }

  isVisible(id: string): boolean {
    const at = this.visibleAt.get(id);
    if (at === undefined) return true;
    if (Date.now() >= at) {
      this.visibleAt.delete(id);
      return true;
    }
    return false;
  }

  // ---- lookups --------------------------------------------------------------------------------------------------

  kindOf(id: string): DirectoryKind | undefined {
    return this.kinds.get(id);
  }

  /** A user by object id or (case-insensitive) userPrincipalName, honouring eventual consistency. */
  findUser(idOrUpn: string): Json | undefined {
    const id = this.users.has(idOrUpn) ? idOrUpn : this.upnIndex.get(idOrUpn.toLowerCase());
    if (id === undefined || !this.isVisible(id)) return undefined;
    return this.users.get(id);
  }

  userIdByUpn(upn: string): string | undefined {
    return this.upnIndex.get(upn.toLowerCase());
  }

  findGroup(id: string): GroupRecord | undefined {
    return this.isVisible(id) ? this.groups.get(id) : undefined;
  }

  /** Stored object of any directory kind (no eventual-consistency check). */
  rawObject(id: string): Json | undefined {
    switch (this.kinds.get(id)) {
      case 'user':
        return this.users.get(id);
      case 'group':
        return this.groups.get(id)?.obj;
      case 'device':
        return this.devices.get(id);
      case 'servicePrincipal':
        return this.servicePrincipals.get(id);
      default:
        return undefined;
    }
  }

  /** A directory object as Graph returns it in directoryObject collections: its properties plus `@odata.type`. */
  directoryObject(id: string): Json | undefined {
    const kind = this.kinds.get(id);
    const obj = this.rawObject(id);
    if (!kind || !obj) return undefined;
    return { '@odata.type': ODATA_TYPE[kind], ...obj };
  }

  directMembersOf(groupId: string): ReadonlySet<string> {
    return this.groups.get(groupId)?.members ?? new Set();
  }

  directMemberOf(objectId: string): ReadonlySet<string> {
    return this.memberOfIndex.get(objectId) ?? new Set();
  }

  /** All nested members (groups included, each once), breadth-first; cycles are tolerated. */
  transitiveMembers(groupId: string): string[] {
    const seen = new Set<string>();
    const queue = [groupId];
    const visitedGroups = new Set<string>([groupId]);
    for (let i = 0; i < queue.length; i++) {
      const g = queue[i];
      if (g === undefined) continue;
      for (const m of this.directMembersOf(g)) {
        if (m !== groupId) seen.add(m);
        if (this.kinds.get(m) === 'group' && !visitedGroups.has(m)) {
          visitedGroups.add(m);
          queue.push(m);
        }
      }
    }
    return [...seen];
  }

  /** Every group the object belongs to directly or through nesting. */
  transitiveMemberOf(objectId: string): Set<string> {
    const result = new Set<string>();
    const queue = [...this.directMemberOf(objectId)];
    for (let i = 0; i < queue.length; i++) {
      const g = queue[i];
      if (g === undefined || result.has(g)) continue;
      result.add(g);
      for (const parent of this.directMemberOf(g)) if (!result.has(parent)) queue.push(parent);
    }
    return result;
  }

  // ---- membership writes ----------------------------------------------------------------------------------------

  private indexMembership(memberId: string, groupId: string): void {
    let set = this.memberOfIndex.get(memberId);
    if (!set) {
      set = new Set();
      this.memberOfIndex.set(memberId, set);
    }
    set.add(groupId);
  }

  addMember(groupId: string, memberId: string): void {
    const rec = this.groups.get(groupId);
    const kind = this.kinds.get(memberId);
    if (!rec || !kind || rec.members.has(memberId)) return;
    rec.members.add(memberId);
    this.indexMembership(memberId, groupId);
    this.changes.append({ groupId, op: 'add', memberId, memberType: ODATA_TYPE[kind] });
  }

  removeMember(groupId: string, memberId: string): void {
    const rec = this.groups.get(groupId);
    if (!rec?.members.delete(memberId)) return;
    this.memberOfIndex.get(memberId)?.delete(groupId);
    const kind = this.kinds.get(memberId);
    this.changes.append({
      groupId,
      op: 'remove',
      memberId,
      memberType: kind ? ODATA_TYPE[kind] : '#microsoft.graph.directoryObject',
    });
  }

  // ---- object writes --------------------------------------------------------------------------------------------

  createUser(user: Json & { id: string; userPrincipalName: string }): void {
    this.putUser(user);
  }

  renameUser(id: string, newUpn: string): void {
    const user = this.users.get(id);
    if (!user) return;
    const old = user.userPrincipalName;
    if (typeof old === 'string') this.upnIndex.delete(old.toLowerCase());
    this.upnIndex.set(newUpn.toLowerCase(), id);
  }

  deleteUser(id: string): void {
    const user = this.users.get(id);
    if (!user) return;
    this.detachFromGroups(id);
    if (typeof user.userPrincipalName === 'string') this.upnIndex.delete(user.userPrincipalName.toLowerCase());
    this.users.delete(id);
    this.kinds.delete(id);
    for (const m of this.phoneMethods.get(id)?.values() ?? []) this.releaseSmsNumber(id, m);
    this.phoneMethods.delete(id);
    this.tapMethods.delete(id);
    this.sponsors.delete(id);
    this.visibleAt.delete(id);
  }

  createGroup(group: Json & { id: string }): void {
    this.groups.set(group.id, { obj: group, members: new Set() });
    this.kinds.set(group.id, 'group');
    this.changes.append({ groupId: group.id, op: 'upsert' });
  }

  touchGroup(id: string): void {
    this.changes.append({ groupId: id, op: 'upsert' });
  }

  deleteGroup(id: string): void {
    const rec = this.groups.get(id);
    if (!rec) return;
    this.detachFromGroups(id);
    for (const m of rec.members) this.memberOfIndex.get(m)?.delete(id);
    this.groups.delete(id);
    this.kinds.delete(id);
    this.visibleAt.delete(id);
    this.changes.append({ groupId: id, op: 'delete' });
  }

  private detachFromGroups(objectId: string): void {
    for (const groupId of [...this.directMemberOf(objectId)]) this.removeMember(groupId, objectId);
    this.memberOfIndex.delete(objectId);
  }

  releaseSmsNumber(userId: string, method: Json): void {
    if (method.smsSignInState !== 'ready' || typeof method.phoneNumber !== 'string') return;
    const key = normalisePhone(method.phoneNumber);
    if (this.smsNumbers.get(key) === userId) this.smsNumbers.delete(key);
  }

  // ---- export ---------------------------------------------------------------------------------------------------

  toTenantFile(): Json {
    const groups = [...this.groups.values()].map((g) => ({ ...clone(g.obj), id: String(g.obj.id), members: [...g.members] }));
    const phoneMethods: Record<string, Json[]> = {};
    for (const [userId, methods] of this.phoneMethods) {
      if (methods.size === 0) continue;
      phoneMethods[userId] = [...methods.values()].map((m) => clone(m));
    }
    const taps: Record<string, Json[]> = {};
    for (const [userId, tap] of this.tapMethods) taps[userId] = [clone(tap)];
    return clone({
      tenant: {
        id: this.tenant.id,
        displayName: this.tenant.displayName,
        defaultDomain: this.tenant.defaultDomain,
        ...(this.tenant.entraIdP2 ? {} : { entraIdP2: false }),
      },
      users: [...this.users.values()],
      groups: groups,
      devices: [...this.devices.values()],
      servicePrincipals: [...this.servicePrincipals.values()],
      sponsors: Object.fromEntries(this.sponsors),
      phoneMethods: phoneMethods,
      temporaryAccessPassMethods: taps,
      directoryRoleAssignments: this.roleAssignments,
      riskyUsers: [...this.riskyUsers.values()],
      riskDetections: this.riskDetections,
      signIns: this.signIns,
      conditionalAccessPolicies: [...this.caPolicies.values()],
      namedLocations: [...this.namedLocations.values()],
      authenticationStrengthPolicies: [...this.authStrengths.values()].filter((a) => a.policyType !== 'builtIn'),
      authenticationMethodsPolicy: this.authPolicy,
    });
  }
}

/** `+1 425 555 0100x12` → `+14255550100` (extension ignored): the key SMS sign-in uniqueness is checked on. */
export function normalisePhone(number: string): string {
  const main = number.split(/x/i)[0] ?? number;
  return `+${main.replace(/\D/g, '')}`;
}
