/**
 * The directory setting templates every tenant has (GET /groupSettingTemplates). Their ids, value names, types and
 * defaults as Graph returns them: Group.Unified.Guest from groupsettingtemplate-get.md's example; Password Rule
 * Settings as Graph lists it (the reference pages show no example of it; its id and values appear in Entra's smart
 * lockout and password-protection guidance and in captured Graph answers, see local/sandbox/FIDELITY.md). Other
 * templates (Group.Unified, Application, Consent Policy Settings, ...) are not modelled.
 */
import type { Json } from './types';

export const PASSWORD_RULE_SETTINGS_TEMPLATE_ID = '5cf42378-d67d-4f36-ba46-e8b86229381d';
export const GROUP_UNIFIED_GUEST_TEMPLATE_ID = '08d542b9-071f-4e16-94b0-74abb372e3d9';

export type SettingType = 'System.String' | 'System.Boolean' | 'System.Int32' | 'System.Guid';

export interface SettingTemplateValue {
  readonly name: string;
  readonly type: SettingType;
  readonly defaultValue: string;
  readonly description: string;
}

export interface SettingTemplate {
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  /** Group-specific templates are applied through /groups/{id}/settings, not tenant-wide. */
  readonly scope: 'tenant' | 'group';
  readonly values: readonly SettingTemplateValue[];
}

const TENANT_DESCRIPTION = (what: string) =>
  `\n        Setting templates define the different settings that can be used for the associated ObjectSettings. This template defines\n        settings that can be used for managing tenant-wide ${what} settings.\n      `;

export const SETTING_TEMPLATES: readonly SettingTemplate[] = [
  {
    id: GROUP_UNIFIED_GUEST_TEMPLATE_ID,
    displayName: 'Group.Unified.Guest',
    description: 'Settings for a specific Unified Group',
    scope: 'group',
    values: [
      {
        name: 'AllowToAddGuests',
        type: 'System.Boolean',
        defaultValue: 'true',
        description: 'Flag indicating if guests are allowed in a specific Unified Group.',
      },
    ],
  },
  {
    id: PASSWORD_RULE_SETTINGS_TEMPLATE_ID,
    displayName: 'Password Rule Settings',
    description: TENANT_DESCRIPTION('password rule'),
    scope: 'tenant',
    values: [
      {
        name: 'BannedPasswordCheckOnPremisesMode',
        type: 'System.String',
        defaultValue: 'Audit',
        description: 'How should we enforce password policy check in on-premises system.',
      },
      {
        name: 'EnableBannedPasswordCheckOnPremises',
        type: 'System.Boolean',
        defaultValue: 'true',
        description: 'Flag indicating if the banned password check is turned on or not for on-premises system.',
      },
      {
        name: 'EnableBannedPasswordCheck',
        type: 'System.Boolean',
        defaultValue: 'true',
        description: 'Flag indicating if the banned password check for tenant specific banned password list is turned on or not.',
      },
      {
        name: 'LockoutDurationInSeconds',
        type: 'System.Int32',
        defaultValue: '60',
        description: 'The duration in seconds of the initial lockout period.',
      },
      {
        name: 'LockoutThreshold',
        type: 'System.Int32',
        defaultValue: '10',
        description: 'The number of failed login attempts before the first lockout period begins.',
      },
      {
        name: 'BannedPasswordList',
        type: 'System.String',
        defaultValue: '',
        description: 'A tab-delimited banned password list.',
      },
    ],
  },
];

/** A template as Graph renders it (groupSettingTemplate resource). */
export function renderTemplate(t: SettingTemplate): Json {
  return {
    id: t.id,
    deletedDateTime: null,
    displayName: t.displayName,
    description: t.description,
    values: t.values.map((v) => ({ ...v })),
  };
}

export function templateById(id: string): SettingTemplate | undefined {
  return SETTING_TEMPLATES.find((t) => t.id.toLowerCase() === id.toLowerCase());
}
