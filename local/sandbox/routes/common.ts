/** Helpers every route module uses: response shapes, body parsing and directory lookups. */
import type { SandboxEnv } from '../env';
import { badRequest, invalidObjectId, resourceNotFound } from '../errors';
import { type Page } from '../odata/paging';
import { isAdvancedQuery, project, wantsCount } from '../odata/query';
import { type GroupRecord, ODATA_TYPE } from '../state';
import { type GraphCall, type GraphResult, isJsonObject, type Json } from '../types';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Properties Graph returns for a user when no $select is given (user-list.md: "default set of properties"). */
export const USER_DEFAULT_PROPS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
];

export function contextUrl(call: GraphCall, fragment: string): string {
  return `${call.origin}/v1.0/$metadata#${fragment}`;
}

export function ok(body: unknown, status = 200): GraphResult {
  return { status, body };
}

export const noContent = (): GraphResult => ({ status: 204 });

export function entity(call: GraphCall, fragment: string, obj: Json, status = 200): GraphResult {
  return { status, body: { '@odata.context': contextUrl(call, fragment), ...obj } };
}

export function collection(
  call: GraphCall,
  fragment: string,
  value: readonly unknown[],
  extra: { nextLink?: string; count?: number } = {},
): GraphResult {
  const body: Json = { '@odata.context': contextUrl(call, fragment) };
  if (extra.count !== undefined) body['@odata.count'] = extra.count;
  if (extra.nextLink !== undefined) body['@odata.nextLink'] = extra.nextLink;
  body.value = value;
  return { status: 200, body };
}

export function pageResult<T>(
  call: GraphCall,
  fragment: string,
  page: Page<T>,
  render: (item: T) => unknown,
  withCount: boolean,
): GraphResult {
  const value: unknown[] = [];
  for (const item of page.items) {
    const rendered = render(item);
    if (rendered !== undefined) value.push(rendered);
  }
  return collection(call, fragment, value, { nextLink: page.nextLink, count: withCount ? page.total : undefined });
}

export function jsonBody(call: GraphCall): Json {
  if (!isJsonObject(call.body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
  return call.body;
}

export function requireUser(env: SandboxEnv, idOrUpn: string): Json & { id: string } {
  const user = env.state.findUser(idOrUpn);
  if (!user || typeof user.id !== 'string') throw resourceNotFound(idOrUpn);
  return user as Json & { id: string };
}

export function requireGroup(env: SandboxEnv, id: string): GroupRecord {
  if (!GUID.test(id)) throw invalidObjectId(id);
  const group = env.state.findGroup(id);
  if (!group) throw resourceNotFound(id);
  return group;
}

/** Extracts the object id from `https://graph.microsoft.com/v1.0/directoryObjects/{id}` (or users/, groups/, ...). */
export function refId(value: unknown, property: string): string {
  if (typeof value !== 'string') throw badRequest(`Invalid value specified for property '${property}'.`);
  const m = /(?:directoryObjects|users|groups|devices|servicePrincipals|contacts)(?:\/|\(')([^/'()?]+)'?\)?\/?$/i.exec(value);
  if (!m?.[1]) throw badRequest(`Invalid URL format specified in @odata.bind for ${property}: '${value}'.`);
  return m[1];
}

export function isoNow(): string {
  return new Date().toISOString();
}

export function requireStringArray(value: unknown, property: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw badRequest(`Invalid value specified for property '${property}': expected an array of strings.`, 'BadRequest');
  }
  return value;
}

/** Graph's message for writes to synced objects (the directory refuses cloud edits of on-premises-mastered data). */
export const ON_PREMISES_MASTERED =
  'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.';

export function requireCount(call: GraphCall): boolean {
  const count = wantsCount(call);
  if (count && !isAdvancedQuery(call)) {
    throw badRequest("$count is not currently supported without the 'ConsistencyLevel: eventual' request header.");
  }
  return count;
}

/** A directory object as collections of directoryObjects return it (user default properties unless $select). */
export function renderDirectoryObject(env: SandboxEnv, id: string, select: readonly string[] | undefined): Json | undefined {
  const kind = env.state.kindOf(id);
  const raw = env.state.rawObject(id);
  if (!kind || !raw) return undefined;
  const props = select ?? (kind === 'user' ? USER_DEFAULT_PROPS : undefined);
  // Project before adding the type, so big member pages never copy whole objects.
  return props ? { '@odata.type': ODATA_TYPE[kind], ...project(raw, props) } : { '@odata.type': ODATA_TYPE[kind], ...raw };
}
