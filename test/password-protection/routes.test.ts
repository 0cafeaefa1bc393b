import { beforeEach, describe, expect, it } from 'vitest';

import { bannedWordsGetHandler } from '../../functions/bannedWordsGet';
import { bannedWordsPutHandler } from '../../functions/bannedWordsPut';
import { getServices } from '../../shared/runtime/services';
import { call, graphAdmin, resetSandbox, setKnobs, useCaHarness } from '../conditional-access/harness';

/** GET and PUT /api/password-protection/banned-words on Azurite and the demo tenant in the Graph sandbox. */
const harness = useCaHarness();

const PASSWORD_RULES = '5cf42378-d67d-4f36-ba46-e8b86229381d';
const put = (body: Record<string, unknown>) => call(bannedWordsPutHandler, { method: 'PUT', body });
const get = () => call(bannedWordsGetHandler);

interface Setting {
  id: string;
  templateId: string;
  values: { name: string; value: string }[];
}

async function tenantSettings(): Promise<Setting[]> {
  return ((await graphAdmin(harness.current, '/v1.0/groupSettings')).body as { value: Setting[] }).value;
}
const valueOf = (s: Setting | undefined, name: string) => s?.values.find((v) => v.name === name)?.value;

beforeEach(async () => {
  await resetSandbox(harness.current);
});

describe('banned words: GET', () => {
  it("answers the template's defaults while the tenant has no setting", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      settingId: null,
      enableBannedPasswordCheck: true,
      count: 0,
      words: [],
      limits: { maxWords: 1000, minLength: 4, maxLength: 16 },
    });
  });
});

describe('banned words: PUT', () => {
  it('shows the change on a dry run, creates the setting from the template on apply, and a re-run is a no-op', async () => {
    const body = { words: ['Contoso', 'London', 'Widget'], enforce: true };
    const dry = await put(body);
    expect(dry.body).toMatchObject({ dryRun: true, action: 'create', added: body.words, count: { before: 0, after: 3 } });
    expect(await tenantSettings()).toEqual([]);

    const applied = await put({ ...body, dryRun: false });
    expect(applied.body).toMatchObject({ dryRun: false, applied: true, action: 'create' });
    const [setting] = await tenantSettings();
    expect(setting?.templateId).toBe(PASSWORD_RULES);
    expect(valueOf(setting, 'BannedPasswordList')).toBe('Contoso\tLondon\tWidget');
    expect(valueOf(setting, 'LockoutThreshold')).toBe('10');
    expect(setting?.values).toHaveLength(6);
    expect((await get()).body).toMatchObject({ settingId: setting?.id, count: 3, words: body.words });

    const again = await put({ ...body, words: ['contoso', 'LONDON', 'widget'], dryRun: false });
    expect(again.body).toMatchObject({ action: 'none', applied: false, added: [], removed: [] });
    const audit = await getServices().audit.list({ limit: 50 });
    const mine = audit.filter((a) => a.target === setting?.id);
    expect(mine.map((a) => a.action)).toEqual(['passwordProtection.bannedWords.create']);
    expect(mine[0]?.details).toMatchObject({ added: { count: 3 }, count: { before: 0, after: 3 } });
  });

  it('adds and removes words on the existing setting, PATCHing every value and keeping the others', async () => {
    await put({ words: ['Contoso', 'London'], dryRun: false });
    await graphAdmin(harness.current, `/v1.0/groupSettings/${(await tenantSettings())[0]?.id}`, {
      method: 'PATCH',
      body: {
        values: [
          ...(await tenantSettings())[0]!.values.filter((v) => v.name !== 'LockoutThreshold'),
          { name: 'LockoutThreshold', value: '5' },
        ],
      },
    });
    const added = await put({ words: ['Paris', 'london'], mode: 'add', dryRun: false });
    expect(added.body).toMatchObject({ action: 'update', added: ['Paris'], alreadyPresent: ['london'], count: { after: 3 } });
    const removed = await put({ words: ['CONTOSO', 'Berlin'], mode: 'remove', dryRun: false, enforce: false });
    expect(removed.body).toMatchObject({
      removed: ['Contoso'],
      notPresent: ['Berlin'],
      enableBannedPasswordCheck: { before: true, after: false },
    });
    const [setting] = await tenantSettings();
    expect(valueOf(setting, 'BannedPasswordList')).toBe('London\tParis');
    expect(valueOf(setting, 'EnableBannedPasswordCheck')).toBe('false');
    expect(valueOf(setting, 'LockoutThreshold')).toBe('5');
  });
});

describe('banned words: PUT, refused', () => {
  it('refuses 1001 words, 3-character words and duplicates with every offender named, changing nothing', async () => {
    const many = await put({ words: Array.from({ length: 1001 }, (_, i) => `word${i}`) });
    expect([many.status, many.body.error?.code]).toEqual([400, 'TOO_MANY_WORDS']);
    const bad = await put({ words: ['abc', 'Contoso', 'contoso', 'seventeen-chars-x'], dryRun: false });
    expect([bad.status, bad.body.error?.code]).toEqual([400, 'INVALID_BANNED_WORDS']);
    expect(bad.body.error?.details).toMatchObject({ tooShort: ['abc'], duplicates: ['contoso'], tooLong: ['seventeen-chars-x'] });
    for (const body of [{}, { words: 'contoso' }, { words: [1234] }, { words: [], mode: 'merge' }, { words: [], extra: 1 }]) {
      expect((await put(body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await call(bannedWordsPutHandler, { method: 'PUT', rawBody: '{"words":' })).status).toBe(400);
    expect(await tenantSettings()).toEqual([]);
  });

  it('names the permission when Graph refuses the setting read or write', async () => {
    const h = harness.current;
    await setKnobs(h, {
      deniedPermissions: ['GroupSettings.ReadWrite.All', 'Directory.ReadWrite.All', 'Policy.ReadWrite.Authorization'],
    });
    const write = await put({ words: ['Contoso'], dryRun: false });
    expect([write.status, write.body.error?.code]).toEqual([403, 'GRAPH_PERMISSION_MISSING']);
    expect(write.body.error?.message).toContain('GroupSettings.ReadWrite.All');
    await setKnobs(h, {
      deniedPermissions: [
        'GroupSettings.Read.All',
        'GroupSettings.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
        'Group.Read.All',
        'Group.ReadWrite.All',
      ],
    });
    const read = await get();
    expect([read.status, read.body.error?.code]).toEqual([403, 'GRAPH_PERMISSION_MISSING']);
    expect(read.body.error?.message).toContain('GroupSettings.Read.All');
  });
});
