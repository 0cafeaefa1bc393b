/** The one port of the banned-password list: tenant-wide directory settings (adapter: shared/graph/directorySettings.ts). */
export interface SettingValue {
  readonly name: string;
  readonly value: string;
}

export interface DirectorySetting {
  readonly id: string;
  readonly templateId: string;
  readonly values: readonly SettingValue[];
}

export interface DirectorySettings {
  /** The tenant-wide setting made from this template, if the tenant has one. */
  find(templateId: string): Promise<DirectorySetting | undefined>;
  /** The template's value names with their defaults (what applies while the tenant has no setting). */
  templateDefaults(templateId: string): Promise<SettingValue[]>;
  create(templateId: string, values: readonly SettingValue[]): Promise<DirectorySetting>;
  /** Replaces the setting's whole values collection (Graph does not update single values). */
  update(id: string, values: readonly SettingValue[]): Promise<void>;
}
