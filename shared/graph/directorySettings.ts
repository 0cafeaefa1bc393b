/**
 * Tenant-wide directory settings (groupsetting-list.md, groupsettingtemplate-get.md, groupsetting-post-groupsettings.md,
 * groupsetting-update.md). `GET /groupSettings` supports no `$filter`, so the setting of a template is picked from the
 * list. Graph allows one setting per template: a create that loses a race with another admin is answered 400 "A
 * conflicting object ..." and becomes 409 SETTING_CONFLICT (run again: the next run updates the setting that won).
 */
import { AppError } from '../errors';
import type { DirectorySetting, DirectorySettings, SettingValue } from '../password-protection/ports';
import { isGraphError } from './errors';
import { namingPermission } from './permissionMissing';
import { type Graph, graphPath } from './types';

const READ = 'GroupSettings.Read.All';
const WRITE = 'GroupSettings.ReadWrite.All';
const CONFLICTING = /conflicting object/i;

interface RawSetting {
  id?: unknown;
  templateId?: unknown;
  values?: unknown;
}

function valuesOf(raw: unknown): SettingValue[] {
  if (!Array.isArray(raw)) return [];
  return (raw as unknown[])
    .filter(
      (v): v is { name: string; value: unknown } =>
        typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string',
    )
    .map((v) => ({ name: v.name, value: typeof v.value === 'string' ? v.value : '' }));
}

function asSetting(raw: RawSetting): DirectorySetting {
  if (typeof raw.id !== 'string' || typeof raw.templateId !== 'string')
    throw new Error('Graph returned a setting without id or templateId');
  return { id: raw.id, templateId: raw.templateId, values: valuesOf(raw.values) };
}

export class GraphDirectorySettings implements DirectorySettings {
  constructor(private readonly graph: Graph) {}

  async find(templateId: string): Promise<DirectorySetting | undefined> {
    const all = await namingPermission('GET /groupSettings', READ, () =>
      this.graph.all<RawSetting>({ method: 'GET', path: '/groupSettings' }),
    );
    const match = all.find((s) => typeof s.templateId === 'string' && s.templateId.toLowerCase() === templateId.toLowerCase());
    return match ? asSetting(match) : undefined;
  }

  async templateDefaults(templateId: string): Promise<SettingValue[]> {
    const template = await namingPermission('GET /groupSettingTemplates/{id}', READ, () =>
      this.graph.request<{ values?: unknown }>({ method: 'GET', path: graphPath`/groupSettingTemplates/${templateId}` }),
    );
    const values = Array.isArray(template.values) ? (template.values as { name?: unknown; defaultValue?: unknown }[]) : [];
    return values
      .filter((v) => typeof v.name === 'string')
      .map((v) => ({ name: String(v.name), value: typeof v.defaultValue === 'string' ? v.defaultValue : '' }));
  }

  async create(templateId: string, values: readonly SettingValue[]): Promise<DirectorySetting> {
    try {
      const created = await namingPermission('POST /groupSettings', WRITE, () =>
        this.graph.request<RawSetting>({ method: 'POST', path: '/groupSettings', body: { templateId, values } }),
      );
      return asSetting(created);
    } catch (err) {
      if (isGraphError(err, 400) && CONFLICTING.test(err.graphMessage ?? '')) {
        throw new AppError('SETTING_CONFLICT', 'Another change created the tenant setting at the same time; run again', 409);
      }
      throw err;
    }
  }

  async update(id: string, values: readonly SettingValue[]): Promise<void> {
    await namingPermission('PATCH /groupSettings/{id}', WRITE, () =>
      this.graph.request({ method: 'PATCH', path: graphPath`/groupSettings/${id}`, body: { values } }),
    );
  }
}
