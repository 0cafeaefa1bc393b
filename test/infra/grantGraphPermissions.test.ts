import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * infra/grant-graph-permissions.sh against a stand-in `az` on PATH (the Azure CLI and a tenant cannot run here; this
 * is the edge). The stand-in keeps a tenant's Graph service principal and the identity's app role assignments in a
 * JSON file, answers the `az rest` / `az identity show` calls the script makes, and records every POST.
 */
const repoRoot = resolve(__dirname, '..', '..');
const script = join(repoRoot, 'infra', 'grant-graph-permissions.sh');
const manifestPath = join(repoRoot, 'infra', 'graph-permissions.json');

const GRAPH_SP_ID = '11111111-1111-1111-1111-111111111111';
const PRINCIPAL = '22222222-2222-2222-2222-222222222222';
const ROLE_NAMES = [
  'User.Read.All',
  'Directory.Read.All',
  'GroupMember.ReadWrite.All',
  'UserAuthMethod-Phone.ReadWrite.All',
  'Policy.Read.AuthenticationMethod',
  'Mail.Read',
  'RoleManagement.Read.Directory',
  'IdentityRiskyUser.Read.All',
  'IdentityRiskEvent.Read.All',
  'AuditLog.Read.All',
  'Policy.Read.ConditionalAccess',
  'UserAuthenticationMethod.Read.All',
  'IdentityRiskyUser.ReadWrite.All',
  'User.RevokeSessions.All',
  'User-PasswordProfile.ReadWrite.All',
  'User.EnableDisableAccount.All',
  'UserAuthMethod-TAP.ReadWrite.All',
  'Policy.ReadWrite.ConditionalAccess',
  'GroupMember.Read.All',
  'Group.Create',
  'GroupSettings.Read.All',
  'GroupSettings.ReadWrite.All',
];
const roleId = (name: string) => `00000000-0000-0000-0000-${String(ROLE_NAMES.indexOf(name) + 1).padStart(12, '0')}`;

interface StubState {
  identityPrincipalId: string;
  pageSize: number;
  assignments: { principalId: string; resourceId: string; appRoleId: string }[];
  posts: unknown[];
  calls: string[][];
}

// The stand-in az, in plain JS run by this Node binary.
const AZ_STUB = `#!${process.execPath}
const fs = require('node:fs');
const file = process.env.AZ_STUB_STATE;
const state = JSON.parse(fs.readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
state.calls.push(args);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const save = () => fs.writeFileSync(file, JSON.stringify(state));
const fail = (msg) => { save(); process.stderr.write(msg + '\\n'); process.exit(1); };
const graphSp = { id: '${GRAPH_SP_ID}', appRoles: ${JSON.stringify(
  ROLE_NAMES.map((value) => ({ id: roleId(value), value, allowedMemberTypes: ['Application'] })),
)} };
if (args[0] === 'identity' && args[1] === 'show') {
  save();
  process.stdout.write(state.identityPrincipalId + '\\n');
  process.exit(0);
}
if (args[0] !== 'rest') fail('unexpected az call: ' + args.join(' '));
const url = opt('--url');
const method = opt('--method');
if (method === 'get' && url === "https://graph.microsoft.com/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id,appRoles") {
  save();
  process.stdout.write(JSON.stringify(graphSp));
  process.exit(0);
}
const m = /^https:\\/\\/graph\\.microsoft\\.com\\/v1\\.0\\/servicePrincipals\\/([0-9a-f-]+)\\/appRoleAssignments(?:\\?skip=(\\d+))?$/.exec(url || '');
if (!m) fail('unexpected url: ' + url);
if (method === 'get') {
  const mine = state.assignments.filter((a) => a.principalId === m[1]);
  const skip = Number(m[2] || 0);
  const page = { value: mine.slice(skip, skip + state.pageSize) };
  if (skip + state.pageSize < mine.length) page['@odata.nextLink'] = url.split('?')[0] + '?skip=' + (skip + state.pageSize);
  save();
  process.stdout.write(JSON.stringify(page));
  process.exit(0);
}
if (method === 'post') {
  const body = JSON.parse(opt('--body'));
  state.posts.push(body);
  state.assignments.push(body);
  save();
  process.exit(0);
}
fail('unexpected method ' + method);
`;

const dirs: string[] = [];
// afterAll, not afterEach: the cases run concurrently and each still needs its own folder.
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tenant(held: readonly string[], pageSize = 100) {
  const dir = mkdtempSync(join(tmpdir(), 'grant-graph-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'az'), AZ_STUB, { mode: 0o755 });
  const stateFile = join(dir, 'state.json');
  const state: StubState = {
    identityPrincipalId: PRINCIPAL,
    pageSize,
    assignments: held.map((name) => ({ principalId: PRINCIPAL, resourceId: GRAPH_SP_ID, appRoleId: roleId(name) })),
    posts: [],
    calls: [],
  };
  writeFileSync(stateFile, JSON.stringify(state));
  const read = (): StubState => JSON.parse(readFileSync(stateFile, 'utf8')) as StubState;
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        'bash',
        [script, ...args],
        { env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}`, AZ_STUB_STATE: stateFile }, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const granted = () =>
    read()
      .posts.map((p) => z.object({ principalId: z.string(), resourceId: z.string(), appRoleId: z.string() }).parse(p))
      .map((p) => {
        expect({ principalId: p.principalId, resourceId: p.resourceId }).toEqual({ principalId: PRINCIPAL, resourceId: GRAPH_SP_ID });
        return ROLE_NAMES.find((n) => roleId(n) === p.appRoleId);
      })
      .sort();
  return { run, read, granted };
}

const hasJq = (process.env.PATH ?? '').split(delimiter).some((d) => {
  try {
    readFileSync(join(d, 'jq'));
    return true;
  } catch {
    return false;
  }
});
if (!hasJq && process.env.CI !== 'true') console.warn('test/infra/grantGraphPermissions.test.ts skipped: jq is not installed.');

// Concurrent: each case has its own temp dir and stand-in tenant; the time is process start-up, not CPU.
describe.skipIf(!hasJq && process.env.CI !== 'true').concurrent('infra/grant-graph-permissions.sh', () => {
  it('grants only the permissions of the chosen capabilities that the identity lacks', async () => {
    const t = tenant(['User.Read.All']);
    const res = await t.run('--principal-id', PRINCIPAL, '--capabilities', 'groupSync');
    expect(res.code, res.stderr).toBe(0);
    expect(t.granted()).toEqual(['Directory.Read.All', 'GroupMember.ReadWrite.All']);
    expect(res.stdout).toMatch(/present\s+User\.Read\.All/);
  });

  it('changes nothing when run again', async () => {
    const t = tenant([]);
    expect((await t.run('--principal-id', PRINCIPAL)).code).toBe(0);
    const first = t.granted().length;
    const again = await t.run('--principal-id', PRINCIPAL);
    expect(again.code, again.stderr).toBe(0);
    expect(t.granted()).toHaveLength(first);
    expect(again.stdout).toContain('Done: 0 permission(s) granted.');
  });

  it('grants every capability by default, each permission once', async () => {
    const t = tenant([]);
    expect((await t.run('--principal-id', PRINCIPAL)).code).toBe(0);
    expect(t.granted()).toEqual(
      [
        'Directory.Read.All',
        'GroupMember.ReadWrite.All',
        'IdentityRiskyUser.ReadWrite.All',
        'Policy.Read.AuthenticationMethod',
        'RoleManagement.Read.Directory',
        'User-PasswordProfile.ReadWrite.All',
        'User.EnableDisableAccount.All',
        'User.Read.All',
        'User.RevokeSessions.All',
        'UserAuthMethod-Phone.ReadWrite.All',
        'IdentityRiskyUser.Read.All',
        'IdentityRiskEvent.Read.All',
        'AuditLog.Read.All',
        'Policy.Read.ConditionalAccess',
        'UserAuthenticationMethod.Read.All',
        'UserAuthMethod-TAP.ReadWrite.All',
        'GroupMember.Read.All',
        'Policy.ReadWrite.ConditionalAccess',
        'Group.Create',
        'GroupSettings.Read.All',
        'GroupSettings.ReadWrite.All',
      ].sort(),
    );
  });

});

describe.skipIf(!hasJq && process.env.CI !== 'true').concurrent('infra/grant-graph-permissions.sh: dry runs and inputs', () => {
  it('reports missing permissions on a dry run and grants none', async () => {
    const t = tenant(['User.Read.All']);
    const res = await t.run('--principal-id', PRINCIPAL, '--capabilities', 'phoneImport', '--dry-run');
    expect(res.code, res.stderr).toBe(0);
    expect(t.read().posts).toEqual([]);
    expect(res.stdout).toMatch(/missing\s+UserAuthMethod-Phone\.ReadWrite\.All/);
    expect(res.stdout).toContain('Dry run: 3 permission(s) would be granted.');
  });

  it('adds group membership writes to phone import only with --sms-signin-group', async () => {
    const without = tenant([]);
    expect((await without.run('--principal-id', PRINCIPAL, '--capabilities', 'phoneImport')).code).toBe(0);
    expect(without.granted()).not.toContain('GroupMember.ReadWrite.All');
    const withGroup = tenant([]);
    expect((await withGroup.run('--principal-id', PRINCIPAL, '--capabilities', 'phoneImport', '--sms-signin-group')).code).toBe(0);
    expect(withGroup.granted()).toContain('GroupMember.ReadWrite.All');
  });

  it('finds the principal id from the managed identity name', async () => {
    const t = tenant([]);
    const res = await t.run('--identity-name', 'id-entraops', '--resource-group', 'rg-entraops', '--capabilities', 'health');
    expect(res.code, res.stderr).toBe(0);
    expect(t.read().calls[0]).toEqual(['identity', 'show', '--name', 'id-entraops', '--resource-group', 'rg-entraops', '--query', 'principalId', '--output', 'tsv']);
    expect(t.granted()).toEqual(['User.Read.All']);
  });

  it('reads every page of existing assignments before deciding what is missing', async () => {
    const t = tenant(['User.Read.All', 'Directory.Read.All', 'GroupMember.ReadWrite.All'], 1);
    const res = await t.run('--principal-id', PRINCIPAL, '--capabilities', 'groupSync');
    expect(res.code, res.stderr).toBe(0);
    expect(t.granted()).toEqual([]);
  });

  it('reports Graph permissions the identity holds that no capability declares, without removing them', async () => {
    const t = tenant(['Mail.Read']);
    const res = await t.run('--principal-id', PRINCIPAL, '--capabilities', 'health');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/undeclared Mail\.Read/);
    expect(t.read().assignments.map((a) => a.appRoleId)).toContain(roleId('Mail.Read'));
  });

  it('fails on an unknown capability before calling Graph', async () => {
    const t = tenant([]);
    const res = await t.run('--principal-id', PRINCIPAL, '--capabilities', 'groupSync,tapIssuance');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('unknown capability: tapIssuance');
    expect(t.read().calls).toEqual([]);
  });

  it('fails on a principal id that is not a GUID', async () => {
    const t = tenant([]);
    const res = await t.run('--principal-id', 'not-a-guid');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('is not an object id');
  });
});

describe('infra/graph-permissions.json', () => {
  const manifest = z
    .object({
      resourceAppId: z.literal('00000003-0000-0000-c000-000000000000'),
      capabilities: z.record(
        z.string(),
        z.object({
          description: z.string().min(20),
          permissions: z
            .array(
              z.object({
                name: z.string().regex(/^[A-Za-z-]+(\.[A-Za-z-]+)+$/),
                calls: z.array(z.string().regex(/^(GET|POST|PATCH|PUT|DELETE) \//)).min(1),
                why: z.string().min(20),
                doc: z.string().regex(/^https:\/\/learn\.microsoft\.com\/graph\//),
                onlyWith: z.literal('SMS_SIGNIN_GROUP_ID').optional(),
              }),
            )
            .min(1),
          notGranted: z.array(z.object({ name: z.string(), why: z.string().min(20) })).optional(),
        }),
      ),
    })
    .parse(JSON.parse(readFileSync(manifestPath, 'utf8')));

  it('declares every capability, each permission with the calls it covers, a reason and a doc page', () => {
    expect(Object.keys(manifest.capabilities).sort()).toEqual(
      ['caBackup', 'caBreakGlass', 'caExclusions', 'caGuestRisk', 'caRestore', 'caWhyBlocked', 'groupSync', 'health', 'passwordProtection', 'phoneImport', 'remediation', 'riskTickets', 'tap'].sort(),
    );
  });

  it('never declares a write permission over all users or the whole directory', () => {
    const names = Object.values(manifest.capabilities).flatMap((c) => c.permissions.map((p) => p.name));
    for (const broad of ['User.ReadWrite.All', 'Directory.ReadWrite.All', 'Group.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All', 'Policy.Read.All']) {
      expect(names).not.toContain(broad);
    }
  });
});
