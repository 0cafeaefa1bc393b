/** Small tenants and an HTTP helper for the sandbox tests. */
import { type GraphSandbox, type SandboxKnobs, startGraphSandbox, type TenantFile } from '../../local/sandbox/index';

export const TENANT_ID = 'aaaaaaaa-0000-0000-0000-000000000000';
export const P1_PLAN = '41781fb2-bc02-4b7c-bd55-b576c07bb09d';

const hex = (prefix: string, n: number): string => `${prefix}-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
export const userId = (n: number): string => hex('00000000', n);
export const groupId = (n: number): string => hex('10000000', n);
export const deviceId = (n: number): string => hex('20000000', n);

export interface TenantSpec {
  users?: number;
  groups?: { members: string[]; extra?: Record<string, unknown> }[];
  extra?: Partial<TenantFile>;
}

export function user(
  n: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> & { id: string; userPrincipalName: string } {
  return {
    id: userId(n),
    displayName: `User ${n}`,
    userPrincipalName: `user${n}@contoso.test`,
    mail: `user${n}@contoso.test`,
    userType: 'Member',
    accountEnabled: true,
    assignedPlans: [
      {
        assignedDateTime: '2025-01-01T00:00:00Z',
        capabilityStatus: 'Enabled',
        service: 'AADPremiumService',
        servicePlanId: P1_PLAN,
      },
    ],
    ...extra,
  };
}

export function tenant(spec: TenantSpec = {}): TenantFile {
  const users = Array.from({ length: spec.users ?? 5 }, (_, i) => user(i + 1));
  const groups = (spec.groups ?? []).map((g, i) => ({
    id: groupId(i + 1),
    displayName: `Group ${i + 1}`,
    mailEnabled: false,
    mailNickname: `group${i + 1}`,
    securityEnabled: true,
    groupTypes: [],
    onPremisesSyncEnabled: null,
    members: g.members,
    ...g.extra,
  }));
  return { tenant: { id: TENANT_ID, displayName: 'Test', defaultDomain: 'contoso.test' }, users, groups, ...spec.extra };
}

export async function start(t: TenantFile, knobs: Partial<SandboxKnobs> = {}): Promise<GraphSandbox> {
  return startGraphSandbox({ tenant: t, knobs: { throttling: { enabled: false, tenantSize: 'auto' }, ...knobs } });
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

export type Obj = Record<string, unknown>;

/** Reads a nested property of a JSON body (`at(r.body, 'error', 'code')`). */
export function at(body: unknown, ...path: (string | number)[]): unknown {
  let v: unknown = body;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

/** The `value` array of a collection body. */
export function items(body: unknown): Obj[] {
  const v = at(body, 'value');
  if (!Array.isArray(v)) throw new Error(`no value array in ${JSON.stringify(body)}`);
  return v as Obj[];
}

export const errorCode = (r: Reply): unknown => at(r.body, 'error', 'code');

export async function call(
  sb: GraphSandbox,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? 'app-one'}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const url = path.startsWith('http') ? path : `${sb.url}${path.startsWith('/_sandbox') ? '' : '/v1.0'}${path}`;
  const res = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text.length > 0) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body };
}

/** Follows @odata.nextLink until the end; returns every value and the number of pages. */
export async function collectAll(
  sb: GraphSandbox,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ values: Obj[]; pages: number; last: unknown }> {
  const values: Obj[] = [];
  let next: string | undefined = path;
  let pages = 0;
  let last: unknown;
  while (next !== undefined) {
    const r = await call(sb, 'GET', next, { headers });
    if (r.status !== 200) throw new Error(`GET ${next} -> ${r.status} ${JSON.stringify(r.body)}`);
    pages++;
    values.push(...items(r.body));
    next = at(r.body, '@odata.nextLink') as string | undefined;
    last = r.body;
  }
  return { values, pages, last };
}
