/**
 * Tenant-wide directory settings (groupsetting-*.md, groupsettingtemplate-*.md): the templates every tenant has, and
 * at most one setting per template, created from a template and updated by replacing its whole `values` collection
 * (groupsetting-update.md: "You must include the entire collection set"). Values are strings checked against the
 * template's types; names the template does not define are refused.
 */
import { randomUUID } from 'node:crypto';

import type { SandboxEnv } from '../env';
import { badRequest, resourceNotFound } from '../errors';
import { renderTemplate, SETTING_TEMPLATES, type SettingTemplate, templateById } from '../groupSettingTemplates';
import { requireAnyPermission } from '../permissions';
import type { RouteDef } from '../router';
import { isJsonObject, type Json } from '../types';
import { collection, entity, jsonBody, noContent } from './common';

/** groupsetting-list.md / groupsettingtemplate-get.md (reads) and groupsetting-update.md / -delete.md (writes). */
const READ = [
  'GroupSettings.Read.All',
  'GroupSettings.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
] as const;
const WRITE = ['GroupSettings.ReadWrite.All', 'Directory.ReadWrite.All', 'Policy.ReadWrite.Authorization'] as const;

/** The directory's answer to a second object where one must be unique (see FIDELITY.md). */
export const CONFLICTING_OBJECT =
  'A conflicting object with one or more of the specified property values is present in the directory.';

const invalid = (prop: string) => badRequest(`Invalid value specified for property '${prop}' of resource 'GroupSetting'.`);

const TYPE_CHECKS: Record<string, (v: string) => boolean> = {
  'System.String': () => true,
  'System.Boolean': (v) => /^(true|false)$/i.test(v),
  'System.Int32': (v) => /^-?\d{1,10}$/.test(v) && Math.abs(Number(v)) <= 2_147_483_647,
  'System.Guid': (v) => v === '' || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
};

/** The `values` of a create or update: each a known name of the template, once, with a string of its type. */
function parseValues(raw: unknown, template: SettingTemplate): { name: string; value: string }[] {
  if (!Array.isArray(raw)) throw invalid('values');
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isJsonObject(item) || typeof item.name !== 'string' || typeof item.value !== 'string') throw invalid('values');
    const def = template.values.find((v) => v.name.toLowerCase() === String(item.name).toLowerCase());
    if (!def) throw badRequest(`Setting '${item.name}' is not defined by template '${template.displayName}'.`);
    if (seen.has(def.name)) throw badRequest(`Setting '${def.name}' is given more than once.`);
    seen.add(def.name);
    if (!TYPE_CHECKS[def.type]?.(item.value)) throw badRequest(`Setting '${def.name}' must be a ${def.type} value.`);
    return { name: def.name, value: item.value };
  });
}

function templateOf(setting: Json): SettingTemplate {
  const t = templateById(String(setting.templateId));
  if (!t) throw new Error(`stored setting ${String(setting.id)} has unknown template ${String(setting.templateId)}`);
  return t;
}

function requireSetting(env: SandboxEnv, id: string): Json {
  const s = env.state.groupSettings.get(id.toLowerCase());
  if (!s) throw resourceNotFound(id);
  return s;
}

function createSetting(env: SandboxEnv, body: Json): Json {
  const template = typeof body.templateId === 'string' ? templateById(body.templateId) : undefined;
  // Group-specific templates are applied with POST /groups/{id}/settings (groupsetting-post-groupsettings.md).
  if (!template || template.scope !== 'tenant') throw invalid('templateId');
  const given = parseValues(body.values ?? [], template);
  if ([...env.state.groupSettings.values()].some((s) => s.templateId === template.id)) throw badRequest(CONFLICTING_OBJECT);
  // The display name comes from the template, whatever the body says (groupsetting-post-groupsettings.md).
  const values = template.values.map((d) => given.find((g) => g.name === d.name) ?? { name: d.name, value: d.defaultValue });
  const setting: Json = { id: randomUUID(), displayName: template.displayName, templateId: template.id, values };
  env.state.groupSettings.set(String(setting.id), setting);
  return setting;
}

export const groupSettingRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/groupSettingTemplates',
    throttle: 'identity',
    handler: ({ call, env }) => {
      requireAnyPermission(env, READ);
      return collection(call, 'groupSettingTemplates', SETTING_TEMPLATES.map(renderTemplate));
    },
  },
  {
    method: 'GET',
    path: '/groupSettingTemplates/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      requireAnyPermission(env, READ);
      const t = templateById(params[0] ?? '');
      if (!t) throw resourceNotFound(params[0] ?? '');
      return entity(call, 'groupSettingTemplates/$entity', renderTemplate(t));
    },
  },
  {
    method: 'GET',
    path: '/groupSettings',
    throttle: 'identity',
    handler: ({ call, env }) => {
      requireAnyPermission(env, READ);
      return collection(
        call,
        'groupSettings',
        [...env.state.groupSettings.values()].map((s) => structuredClone(s)),
      );
    },
  },
  {
    method: 'GET',
    path: '/groupSettings/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      requireAnyPermission(env, READ);
      return entity(call, 'groupSettings/$entity', structuredClone(requireSetting(env, params[0] ?? '')));
    },
  },
  {
    method: 'POST',
    path: '/groupSettings',
    throttle: 'identity',
    handler: ({ call, env }) => {
      requireAnyPermission(env, WRITE);
      return entity(call, 'groupSettings/$entity', structuredClone(createSetting(env, jsonBody(call))), 201);
    },
  },
  {
    method: 'PATCH',
    path: '/groupSettings/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const setting = requireSetting(env, params[0] ?? '');
      requireAnyPermission(env, WRITE);
      const body = jsonBody(call);
      for (const key of Object.keys(body)) if (key !== 'values') throw invalid(key);
      // The whole collection is replaced: names left out are no longer set (groupsetting-update.md).
      setting.values = parseValues(body.values, templateOf(setting));
      return noContent();
    },
  },
  {
    method: 'DELETE',
    path: '/groupSettings/{id}',
    throttle: 'identity',
    handler: ({ params, env }) => {
      const setting = requireSetting(env, params[0] ?? '');
      requireAnyPermission(env, WRITE);
      env.state.groupSettings.delete(String(setting.id));
      return noContent();
    },
  },
];
