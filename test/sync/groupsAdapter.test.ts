import { describe, expect, it } from 'vitest';

import { createGroupsAdapter } from '../../shared/graph/groups';
import type { BatchItem, BatchItemResult, Graph, GraphPage, GraphRequest, GraphResponse } from '../../shared/graph/types';

/**
 * The adapter's Graph edge cases with a scripted Graph (the sandbox cannot produce every one on demand: a bind PATCH
 * failing because of one existing member, objects that stay invisible, delta pages split mid-group). The happy paths
 * run against the sandbox in syncApi.test.ts.
 */
type Responder = (item: BatchItem) => { status: number; body?: unknown; message?: string };

function scriptedGraph(respond: Responder, pages: Record<string, GraphPage<unknown>[]> = {}) {
  const sent: BatchItem[] = [];
  const graph: Graph = {
    request: () => Promise.reject(new Error('not scripted')),
    send: <T>(req: GraphRequest): Promise<GraphResponse<T>> => {
      const r = respond({ method: req.method, path: req.path, body: req.body });
      return Promise.resolve({ status: r.status, headers: {}, body: r.body as T });
    },
    pages: <T>(req: GraphRequest): AsyncIterable<GraphPage<T>> => {
      const list = (pages[req.path] ?? []) as GraphPage<T>[];
      return (async function* () {
        for (const p of list) yield p;
      })();
    },
    all: () => Promise.resolve([]),
    batch: <T>(items: readonly BatchItem[]): Promise<BatchItemResult<T>[]> => {
      sent.push(...items);
      return Promise.resolve(
        items.map((item, i) => {
          const r = respond(item);
          return {
            id: item.id ?? String(i + 1),
            status: r.status,
            headers: {},
            body: r.body as T,
            ...(r.status >= 400
              ? {
                  error: { code: r.status === 404 ? 'Request_ResourceNotFound' : 'Request_BadRequest', message: r.message ?? '' },
                }
              : {}),
          };
        }),
      );
    },
    counters: { httpCalls: 0, subRequests: 0, throttled: 0, retries: 0 },
    scoped: () => graph,
  };
  return { graph, sent };
}

const BASE = 'https://graph.example';
const adapter = (graph: Graph) =>
  createGroupsAdapter(graph, { baseUrl: BASE, consistencyDelaysMs: [1, 1], sleep: () => Promise.resolve() });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
const bound = (item: BatchItem) =>
  ((item.body as Record<string, string[]>)['members@odata.bind'] ?? []).map((u) => u.split('/').pop());

describe('groups adapter writes', () => {
  it('binds 20 members per PATCH with directoryObjects URLs on the configured Graph root', async () => {
    const { graph, sent } = scriptedGraph(() => ({ status: 204 }));
    const out = await adapter(graph).add('g1', ids(45));
    expect(out.every((o) => o.ok)).toBe(true);
    expect(sent.map((i) => bound(i).length)).toEqual([20, 20, 5]);
    expect((sent[0]?.body as Record<string, string[]>)['members@odata.bind']?.[0]).toBe(`${BASE}/v1.0/directoryObjects/m0`);
  });

  it('falls back to per-member adds only for the chunk whose bind failed, counting "already a member" as success', async () => {
    const { graph, sent } = scriptedGraph((item) => {
      if (item.method === 'PATCH')
        return bound(item).includes('m25')
          ? { status: 400, message: 'One or more added object references already exist' }
          : { status: 204 };
      const id = String((item.body as Record<string, string>)['@odata.id'])
        .split('/')
        .pop();
      return id === 'm25'
        ? {
            status: 400,
            message: "One or more added object references already exist for the following modified properties: 'members'.",
          }
        : { status: 204 };
    });
    const out = await adapter(graph).add('g1', ids(30));
    expect(out.find((o) => o.id === 'm25')).toEqual({ id: 'm25', ok: true, noop: true });
    expect(out.filter((o) => o.ok)).toHaveLength(30);
    expect(sent.filter((i) => i.method === 'POST')).toHaveLength(10);
  });

  it('retries adds of objects not visible yet, then reports the ones that never appear', async () => {
    let attempts = 0;
    const { graph } = scriptedGraph((item) => {
      if (item.method === 'PATCH') return { status: 404 };
      const id = String((item.body as Record<string, string>)['@odata.id'])
        .split('/')
        .pop();
      if (id === 'fresh') return ++attempts < 2 ? { status: 404, message: 'not found' } : { status: 204 };
      return id === 'ghost' ? { status: 404, message: "Resource 'ghost' does not exist" } : { status: 204 };
    });
    const out = await adapter(graph).add('g1', ['fresh', 'ghost', 'fine']);
    expect(out).toEqual([
      { id: 'fresh', ok: true, noop: false },
      { id: 'ghost', ok: false, code: 'Request_ResourceNotFound', message: "Resource 'ghost' does not exist" },
      { id: 'fine', ok: true, noop: false },
    ]);
  });

  it('removes with DELETE members/{id}/$ref and counts "not a member" as success', async () => {
    const { graph, sent } = scriptedGraph((item) => (item.path.includes('gone') ? { status: 404 } : { status: 204 }));
    const out = await adapter(graph).remove('g1', ['a', 'gone']);
    expect(sent.map((i) => `${i.method} ${i.path}`)).toEqual([
      'DELETE /groups/g1/members/a/$ref',
      'DELETE /groups/g1/members/gone/$ref',
    ]);
    expect(out).toEqual([
      { id: 'a', ok: true, noop: false },
      { id: 'gone', ok: true, noop: true },
    ]);
  });
});

describe('groups adapter delta rounds', () => {
  it('merges members@delta of one group spread over several pages, last state winning', async () => {
    const next = 'https://graph.example/v1.0/groups/delta?$skiptoken=2';
    const first = {
      value: [
        {
          id: 'g1',
          'members@delta': [
            { '@odata.type': '#microsoft.graph.user', id: 'u1' },
            { '@odata.type': '#microsoft.graph.user', id: 'u2', '@removed': { reason: 'deleted' } },
          ],
        },
      ],
      '@odata.nextLink': next,
    };
    const pages = {
      [next]: [
        {
          value: [
            {
              id: 'g1',
              'members@delta': [
                { '@odata.type': '#microsoft.graph.device', id: 'u2' },
                { '@odata.type': '#microsoft.graph.user', id: 'u1', '@removed': { reason: 'deleted' } },
              ],
            },
          ],
          deltaLink: 'https://graph.example/v1.0/groups/delta?$deltatoken=new',
        },
      ],
    };
    const { graph } = scriptedGraph(
      (item) =>
        item.path.includes('deltatoken=old')
          ? { status: 200, body: first }
          : { status: 200, body: { id: 'g1', displayName: 'G' } },
      pages,
    );
    const [result] = await adapter(graph).read([
      { groupId: 'g1', properties: [], deltaLink: 'https://graph.example/v1.0/groups/delta?$deltatoken=old', includeGroup: true },
    ]);
    expect(result).toMatchObject({
      status: 'delta',
      added: [{ id: 'u2', type: 'device' }],
      removed: ['u1'],
      deltaLink: 'https://graph.example/v1.0/groups/delta?$deltatoken=new',
      group: { displayName: 'G' },
    });
  });

  it('reports a deleted group as not found and an expired token as deltaExpired', async () => {
    const { graph } = scriptedGraph((item) =>
      item.path.includes('g1') || item.path.endsWith('=a')
        ? { status: 200, body: { value: [{ id: 'g1', '@removed': { reason: 'changed' } }], '@odata.deltaLink': 'x' } }
        : { status: 410 },
    );
    const results = await adapter(graph).read([
      { groupId: 'g1', properties: [], deltaLink: 'https://graph.example/v1.0/groups/delta?$deltatoken=a' },
      { groupId: 'g2', properties: [], deltaLink: 'https://graph.example/v1.0/groups/delta?$deltatoken=b' },
    ]);
    expect(results.map((r) => r.status)).toEqual(['notFound', 'deltaExpired']);
  });
});
