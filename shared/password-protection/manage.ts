/**
 * Reading and changing the custom banned-password list. Without a "Password Rule Settings" setting the tenant runs on
 * the template's defaults (an empty list); the first change creates the setting from the template with every default,
 * later ones PATCH the whole values collection with only the list (and, when asked, the enforcement flag) changed.
 * A dry run (the default) answers the change without writing; an apply that changes nothing sends nothing. The audit
 * entry keeps counts and a capped diff, never the whole list.
 */
import type { AuditSink } from '../audit';
import {
  BANNED_LIST,
  type BannedWordsMode,
  ENABLE_CHECK,
  formatBannedList,
  LIMITS,
  parseBannedList,
  PASSWORD_RULE_SETTINGS_TEMPLATE_ID,
  planBannedWords,
  validateWords,
} from './bannedWords';
import type { DirectorySetting, DirectorySettings, SettingValue } from './ports';

export interface BannedWordsDeps {
  readonly settings: DirectorySettings;
  readonly audit: AuditSink;
}

export interface BannedWordsState {
  readonly settingId: string | null;
  readonly enableBannedPasswordCheck: boolean;
  readonly count: number;
  readonly words: string[];
  readonly limits: typeof LIMITS;
}

export interface BannedWordsRequest {
  readonly words: readonly string[];
  readonly mode: BannedWordsMode;
  readonly dryRun: boolean;
  readonly enforce?: boolean;
}

const AUDIT_DIFF_CAP = 100;

interface Current {
  readonly setting: DirectorySetting | undefined;
  readonly values: readonly SettingValue[];
}

const valueOf = (values: readonly SettingValue[], name: string): string | undefined =>
  values.find((v) => v.name.toLowerCase() === name.toLowerCase())?.value;

const isTrue = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

async function readCurrent(deps: BannedWordsDeps): Promise<Current> {
  const setting = await deps.settings.find(PASSWORD_RULE_SETTINGS_TEMPLATE_ID);
  const values = setting ? setting.values : await deps.settings.templateDefaults(PASSWORD_RULE_SETTINGS_TEMPLATE_ID);
  return { setting, values };
}

function stateOf(current: Current): BannedWordsState {
  const words = parseBannedList(valueOf(current.values, BANNED_LIST));
  return {
    settingId: current.setting?.id ?? null,
    enableBannedPasswordCheck: isTrue(valueOf(current.values, ENABLE_CHECK)),
    count: words.length,
    words,
    limits: LIMITS,
  };
}

export async function getBannedWords(deps: BannedWordsDeps): Promise<BannedWordsState> {
  return stateOf(await readCurrent(deps));
}

/** The values to write: the current ones with the list (and the flag, when given) replaced, nothing else touched. */
function withChanges(values: readonly SettingValue[], list: string, enforce: boolean | undefined): SettingValue[] {
  const changed = new Map<string, string>([[BANNED_LIST, list]]);
  if (enforce !== undefined) changed.set(ENABLE_CHECK, enforce ? 'true' : 'false');
  const out = values.map((v) => {
    const name = [...changed.keys()].find((n) => n.toLowerCase() === v.name.toLowerCase());
    return name === undefined ? { ...v } : { name: v.name, value: changed.get(name) ?? v.value };
  });
  for (const [name, value] of changed) if (valueOf(out, name) === undefined) out.push({ name, value });
  return out;
}

export async function putBannedWords(deps: BannedWordsDeps, req: BannedWordsRequest, actor: string) {
  const words = req.words.map((w) => w.trim());
  validateWords(words);
  const current = await readCurrent(deps);
  const before = stateOf(current);
  const change = planBannedWords(before.words, words, req.mode);
  const enableAfter = req.enforce ?? before.enableBannedPasswordCheck;
  const changes = change.added.length + change.removed.length > 0 || enableAfter !== before.enableBannedPasswordCheck;
  const action = !changes ? 'none' : current.setting ? 'update' : 'create';
  const summary = {
    mode: req.mode,
    action,
    settingId: before.settingId,
    added: change.added,
    removed: change.removed,
    alreadyPresent: change.alreadyPresent,
    notPresent: change.notPresent,
    count: { before: before.count, after: change.resulting.length },
    enableBannedPasswordCheck: { before: before.enableBannedPasswordCheck, after: enableAfter },
  };
  if (req.dryRun || action === 'none') return { dryRun: req.dryRun, ...summary, applied: false };
  const values = withChanges(current.values, formatBannedList(change.resulting), req.enforce);
  const settingId = await write(deps, current.setting, values);
  await deps.audit.write([
    {
      action: `passwordProtection.bannedWords.${action}`,
      outcome: 'succeeded',
      actor,
      target: settingId,
      job: 'password-protection',
      details: {
        mode: req.mode,
        count: summary.count,
        enableBannedPasswordCheck: summary.enableBannedPasswordCheck,
        added: { count: change.added.length, words: change.added.slice(0, AUDIT_DIFF_CAP) },
        removed: { count: change.removed.length, words: change.removed.slice(0, AUDIT_DIFF_CAP) },
      },
    },
  ]);
  return { dryRun: false, ...summary, settingId, applied: true };
}

async function write(deps: BannedWordsDeps, setting: DirectorySetting | undefined, values: SettingValue[]): Promise<string> {
  if (setting) {
    await deps.settings.update(setting.id, values);
    return setting.id;
  }
  return (await deps.settings.create(PASSWORD_RULE_SETTINGS_TEMPLATE_ID, values)).id;
}
