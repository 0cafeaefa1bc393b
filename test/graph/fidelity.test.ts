/**
 * Graph behaviours a real tenant shows, reproduced by the sandbox and met by the real adapters over HTTP: batches that
 * are fully parallel or fully sequential, "not a member" answered 400, expired delta tokens answered 400, revoked
 * tokens, and writes whose response was lost after the service applied them.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { tokenProviderFromCredential } from '../../shared/graph/credentials';
import { GraphError } from '../../shared/graph/errors';
import { createGroupsAdapter } from '../../shared/graph/groups';
import { GraphPhoneMethods } from '../../shared/graph/phoneMethods';
import { graphPath } from '../../shared/graph/types';
import { GraphPhoneDirectory } from '../../shared/graph/users';
import { BIG_GROUP, recordingGateway, SandboxControl, SMALL_GROUP, userId } from './sandbox';

let sb: SandboxControl;
beforeAll(async () => {
  sb = await SandboxControl.start();
});
afterAll(async () => {
  await sb.close();
});
beforeEach(async () => {
  await sb.clean();
  await knobs({ expiredDeltaToken: '410' });
});

async function knobs(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sb.url}/_sandbox/knobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`knobs: ${res.status} ${await res.text()}`);
}

const groups = (graph = recordingGateway(sb.url).graph) =>
  createGroupsAdapter(graph, { baseUrl: sb.url, consistencyDelaysMs: [], sleep: () => Promise.resolve() });

describe('$batch shapes Graph accepts', () => {
  it('reads several groups in full with delta tokens, never mixing dependsOn and independent items in one batch', async () => {
    const results = await groups().read([
      { groupId: BIG_GROUP, properties: ['accountEnabled'], includeGroup: true },
      { groupId: SMALL_GROUP, properties: [], includeGroup: true },
    ]);
    expect(results.map((r) => r.status)).toEqual(['full', 'full']);
    for (const r of results) expect(r.status === 'full' && r.deltaLink).toBeTruthy();
    const small = results[1];
    expect(small?.status === 'full' ? small.members.map((m) => m.id).sort() : []).toEqual([userId(0), userId(1)]);
  });
});

describe('membership removal', () => {
  it('counts 400 "One or more removed object references do not exist" as done, like 404', async () => {
    const out = await groups().remove(SMALL_GROUP, [userId(5), userId(0)]);
    expect(out).toEqual([
      { id: userId(5), ok: true, noop: true },
      { id: userId(0), ok: true, noop: false },
    ]);
  });
});

describe('expired delta tokens', () => {
  it('reports a token Graph refuses with 400 syncStateNotFound as expired, so the run reads in full', async () => {
    const adapter = groups();
    const [first] = await adapter.read([{ groupId: SMALL_GROUP, properties: [] }]);
    const deltaLink = first?.status === 'full' ? first.deltaLink : undefined;
    expect(deltaLink).toBeDefined();
    await knobs({ expiredDeltaToken: '400' });
    const stale = `${deltaLink?.split('$deltatoken=')[0] ?? ''}$deltatoken=${Buffer.from('{"v":1}').toString('base64url')}`;
    const [round] = await adapter.read([{ groupId: SMALL_GROUP, properties: [], deltaLink: stale }]);
    expect(round?.status).toBe('deltaExpired');
  });
});

describe('revoked tokens', () => {
  function countingCredential(): { credential: TokenCredential; issued: () => number } {
    let n = 0;
    return {
      credential: {
        getToken: (): Promise<AccessToken> => {
          n++;
          return Promise.resolve({ token: `token-${n}`, expiresOnTimestamp: Date.now() + 3600_000 });
        },
      },
      issued: () => n,
    };
  }

  it('drops the cached token after a 401 and retries once with a new one', async () => {
    const { credential, issued } = countingCredential();
    const { graph } = recordingGateway(sb.url, { tokenProvider: tokenProviderFromCredential(credential, 'scope') });
    await graph.request({ method: 'GET', path: graphPath`/users/${userId(1)}` });
    await sb.faults([{ route: 'GET /users/{id}', kind: '401', times: 1 }]);
    await graph.request({ method: 'GET', path: graphPath`/users/${userId(1)}` });
    expect(issued()).toBe(2);
  });

  it('lets a second 401 in a row stand', async () => {
    const { credential, issued } = countingCredential();
    const { graph } = recordingGateway(sb.url, { tokenProvider: tokenProviderFromCredential(credential, 'scope') });
    await sb.faults([{ route: 'GET /users/{id}', kind: '401', times: 2 }]);
    const err = await graph.request({ method: 'GET', path: graphPath`/users/${userId(1)}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(401);
    expect(issued()).toBe(2);
  });
});

describe('lost responses and safe retries', () => {
  it('retries 500 and 502 for reads', async () => {
    const { graph } = recordingGateway(sb.url);
    await sb.faults([
      { route: 'GET /users/{id}', kind: '500', times: 1 },
      { route: 'GET /users/{id}', kind: '502', times: 1 },
    ]);
    await graph.request({ method: 'GET', path: graphPath`/users/${userId(2)}` });
    expect(graph.counters.retries).toBe(2);
  });

  it('does not send a POST again after a 500 that may have followed the write', async () => {
    const { graph } = recordingGateway(sb.url);
    await sb.faults([{ route: 'POST /groups', kind: '500', times: 1, when: 'after' }]);
    const err = await graph
      .request({
        method: 'POST',
        path: '/groups',
        body: { displayName: 'Once', mailEnabled: false, mailNickname: 'once', securityEnabled: true },
      })
      .catch((e: unknown) => e);
    expect((err as GraphError).status).toBe(500);
    expect(graph.counters.httpCalls).toBe(1);
    const listed = await graph.all<{ id: string }>({
      method: 'GET',
      path: '/groups',
      query: { $filter: "displayName eq 'Once'" },
    });
    expect(listed).toHaveLength(1);
  });

  it('confirms a phone-method create whose response was lost by re-reading, instead of recording a failure', async () => {
    const { graph } = recordingGateway(sb.url);
    const methods = new GraphPhoneMethods(graph);
    await sb.faults([
      { route: 'POST /users/{id}/authentication/phoneMethods', kind: '503', times: 1, scope: 'batchItem', when: 'after' },
    ]);
    const [created, other] = await methods.writePhoneMethods([
      { userId: userId(7), kind: 'create', methodId: '', phoneType: 'mobile', phoneNumber: '+1 4255550107' },
      { userId: userId(8), kind: 'create', methodId: '', phoneType: 'mobile', phoneNumber: '+1 4255550108' },
    ]);
    expect(created).toEqual({ ok: true });
    expect(other).toEqual({ ok: true });
    expect(graph.counters.retries).toBe(1);
    // A different number already in place stays a failure with Graph's reason.
    const [clash] = await methods.writePhoneMethods([
      { userId: userId(7), kind: 'create', methodId: '', phoneType: 'mobile', phoneNumber: '+1 4255550199' },
    ]);
    expect(clash).toMatchObject({ ok: false, status: 400 });
  });
});

describe('addressing and projection', () => {
  it("addresses a UPN that starts with $ as /users('$...'); the plain form is refused as Graph does", async () => {
    const { graph } = recordingGateway(sb.url);
    const upn = '$svc.backup@gateway.example';
    await graph.request({
      method: 'POST',
      path: '/users',
      body: {
        accountEnabled: true,
        displayName: 'Backup service',
        mailNickname: 'svcbackup',
        userPrincipalName: upn,
        passwordProfile: { password: 'not-kept-by-the-sandbox' },
      },
    });
    const plain = await graph.send({ method: 'GET', path: `/users/${upn}` }, [400]);
    expect(plain.status).toBe(400);
    const found = await new GraphPhoneDirectory(graph, sb.url).resolveUsers([upn]);
    expect(found.get(upn)).toMatchObject({ kind: 'found', user: { userPrincipalName: upn } });
  });

  it('honours $select on directoryObjects/getByIds', async () => {
    const { graph } = recordingGateway(sb.url);
    const body = await graph.request<{ value: Record<string, unknown>[] }>({
      method: 'POST',
      path: '/directoryObjects/getByIds?$select=id,accountEnabled',
      body: { ids: [userId(1), userId(2)] },
    });
    expect(body.value).toHaveLength(2);
    for (const o of body.value) expect(Object.keys(o).sort()).toEqual(['@odata.type', 'accountEnabled', 'id']);
    const facts = await groups().describe([userId(3)], ['accountEnabled']);
    expect(facts).toEqual([{ id: userId(3), type: 'user', accountEnabled: true }]);
  });
});
