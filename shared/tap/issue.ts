/**
 * Temporary Access Pass issuance, used by `POST /api/users/{user}/tap` (the pass goes back to the caller only) and by
 * the `issueTap` remediation (the pass goes into the pass vault and the ticket gets a one-time retrieval link).
 * The policy is read and decided first, so a pass that sign-in would block is never created.
 */

import type { AuditSink } from '../audit';
import { AppError } from '../errors';
import type { IssuedPass, TapDirectory, UserDirectory } from '../remediation/ports';
import type { TargetUser } from '../remediation/target';
import { decideTap, type TapPlan, type TapRefusal, type TapRequest } from './policy';

export interface TapDeps {
  readonly users: UserDirectory;
  readonly taps: TapDirectory;
  readonly audit: AuditSink;
  readonly now: () => Date;
}

export class TapRefused extends AppError {
  constructor(readonly refusal: TapRefusal) {
    super(refusal.code, refusal.message, refusal.code === 'TAP_START_INVALID' ? 400 : 409, {
      setting: refusal.setting,
      ...(refusal.policy === undefined ? {} : { policy: refusal.policy }),
    });
  }
}

/** Reads the policy and the user's place in it; throws TapRefused naming the setting to change. */
export async function planPass(deps: Pick<TapDeps, 'taps' | 'now'>, user: TargetUser, request: TapRequest): Promise<TapPlan> {
  const policy = await deps.taps.readPolicy();
  const facts = await deps.taps.targetFacts(user, policy);
  const decision = decideTap(policy, facts, request, deps.now());
  if (!decision.ok) throw new TapRefused(decision.refusal);
  return decision.plan;
}

export interface PassForCaller extends Omit<IssuedPass, 'methodId'> {
  readonly id: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly expiresAt: string;
}

export const passExpiry = (pass: Pick<IssuedPass, 'startDateTime' | 'lifetimeInMinutes'>): Date =>
  new Date(Date.parse(pass.startDateTime) + pass.lifetimeInMinutes * 60_000);

/** `POST /api/users/{user}/tap`: the pass for the caller, audited without the pass. */
export async function issuePassForCaller(
  deps: TapDeps,
  userRef: string,
  request: TapRequest,
  actor: string,
): Promise<PassForCaller> {
  const user = await deps.users.findUser(userRef);
  if (!user) throw new AppError('USER_NOT_FOUND', `No user ${userRef} in the tenant`, 404);
  let plan: TapPlan;
  try {
    plan = await planPass(deps, user, request);
  } catch (err) {
    if (err instanceof TapRefused) {
      await deps.audit.write([
        {
          action: 'tap.issue',
          outcome: 'blocked',
          actor,
          target: user.id,
          reason: err.code,
          details: { setting: err.refusal.setting },
        },
      ]);
    }
    throw err;
  }
  const pass = await deps.taps.createPass(user.id, plan);
  const expiresAt = passExpiry(pass).toISOString();
  await deps.audit.write([
    {
      action: 'tap.issue',
      outcome: 'succeeded',
      actor,
      target: user.id,
      details: { methodId: pass.methodId, isUsableOnce: pass.isUsableOnce, lifetimeInMinutes: pass.lifetimeInMinutes, expiresAt },
    },
  ]);
  return {
    id: pass.methodId,
    temporaryAccessPass: pass.temporaryAccessPass,
    startDateTime: pass.startDateTime,
    lifetimeInMinutes: pass.lifetimeInMinutes,
    isUsableOnce: pass.isUsableOnce,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    expiresAt,
  };
}
