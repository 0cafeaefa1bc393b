import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import { browserAvailable, expectAccessible, launchChromium, screenshot, watchPage } from '../helpers/browser';
import { useStack } from '../helpers/stack';

/**
 * The operator console in real headless Chromium against the local stack (Azurite, the Graph sandbox with the demo
 * tenant, the local host running the app's functions): the seed's Group1-to-Group2 job created, dry-run, reviewed by
 * name and applied; the seed-style contacts.csv imported with a live progress bar and its results filtered; after a
 * risk poll, the demo tenant's tickets listed by name and one opened with its timeline; a Conditional Access backup
 * taken and compared with live, and the break-glass status. Every page is checked with axe-core and saved as a
 * screenshot in test-artifacts/.
 */
const POLL = { timeout: 60_000 };
const CONTACTS = readFileSync(path.resolve(__dirname, '../../local/tenants/contacts.csv'));

describe.runIf(browserAvailable())('operator console in Chromium', () => {
  const stack = useStack({
    env: {
      PHONE_DEFAULT_REGION: 'US',
      PHONE_CHUNK_SIZE: '2',
      CA_BREAK_GLASS_USERS: `${DEMO_USERS.breakGlass1.id},${DEMO_USERS.breakGlass2.id}`,
      CA_BREAK_GLASS_GROUPS: DEMO_GROUPS.breakGlassExclusion.id,
      // The risk test runs the sandbox 50 times faster (knob set there); the gateway's pacing is scaled to match.
      GRAPH_PACING_TIME_SCALE: '50',
    },
  });
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    // The shared CI machine can be slow to paint; waits are for outcomes, never fixed sleeps.
    context.setDefaultTimeout(60_000);
    page = await context.newPage();
    problems = watchPage(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  const consoleUrl = () => `${stack.current.apiUrl}/api/console/`;
  async function sandboxName(id: string): Promise<{ displayName: string; userPrincipalName: string }> {
    const res = await fetch(`${stack.current.sandboxUrl}/v1.0/users/${id}?$select=displayName,userPrincipalName`, {
      headers: { authorization: 'Bearer browser-test' },
    });
    return (await res.json()) as { displayName: string; userPrincipalName: string };
  }

  const SLOW = { timeout: 300_000 };

  it('serves the page with a strict Content-Security-Policy and shows the overview', SLOW, async () => {
    const response = await page.goto(consoleUrl());
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Overview');
    expect(problems).toEqual([]);
    await page.getByRole('heading', { name: 'Group sync, last 24 hours' }).waitFor();
    await expectAccessible(page, 'overview');
    await screenshot(page, '01-overview');
  });

  it(
    'creates the seed job, shows API validation messages, dry-runs it with names, applies it and lists the runs',
    SLOW,
    async () => {
      await page.getByRole('link', { name: 'Sync jobs' }).click();
      await page.getByRole('link', { name: 'New sync job' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Group1 to Group2');
      await page.getByLabel('Target group').fill('No Such Group');
      await page.getByLabel('Source groups').fill('Group1Name');
      await page.getByRole('button', { name: 'Create job' }).click();
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent(), POLL).toContain('SYNC_GROUP_NOT_FOUND');
      expect(await page.getByLabel('Target group').getAttribute('aria-invalid')).toBe('true');
      await expectAccessible(page, 'job form with errors');
      await screenshot(page, '02-sync-job-form-errors');

      await page.getByLabel('Target group').fill('Group2Name');
      await page.getByLabel('Most members added per run').fill('5');
      await page.getByRole('button', { name: 'Create job' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Sync job: Group1 to Group2');

      // A dry run over the limit: blocked, with the limit it hits; nothing to apply.
      await page.getByRole('button', { name: 'Dry run' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Dry run of Group1 to Group2');
      await expect.poll(() => page.getByRole('alert').textContent(), POLL).toContain('maxAdds: allowed 5, planned 38');
      expect(await page.getByRole('button', { name: 'Apply now' }).count()).toBe(0);

      // Raise the limit through the edit form and dry-run again.
      await page.getByRole('link', { name: 'Back to Group1 to Group2' }).click();
      await page.getByRole('link', { name: 'Edit' }).click();
      await page.getByLabel('Most members added per run').fill('100');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Sync job: Group1 to Group2');
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('button', { name: 'Apply now' }).waitFor();

      const adds = page.getByRole('table', { name: /Members this run would add/ });
      await adds.waitFor();
      const firstId = (await adds.locator('tbody tr').first().locator('code').textContent()) ?? '';
      const person = await sandboxName(firstId);
      const firstRow = await adds.locator('tbody tr').first().textContent();
      expect(firstRow).toContain(person.displayName);
      expect(firstRow).toContain(person.userPrincipalName);
      expect(await adds.locator('tbody tr').count()).toBe(38);
      await expectAccessible(page, 'dry-run plan');
      await screenshot(page, '03-sync-dry-run-plan');

      await page.getByRole('button', { name: 'Apply now' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Run of Group1 to Group2');
      const changes = page.getByRole('definition').filter({ hasText: /^38$/ });
      await changes.first().waitFor();
      await screenshot(page, '04-sync-run-applied');
      const members = await fetch(
        `${stack.current.sandboxUrl}/v1.0/groups/${DEMO_GROUPS.group2Name.id}/members?$select=id&$top=999`,
        {
          headers: { authorization: 'Bearer browser-test' },
        },
      );
      expect(((await members.json()) as { value: unknown[] }).value).toHaveLength(38);

      await page.getByRole('link', { name: 'Back to Group1 to Group2' }).click();
      const history = page.getByRole('table', { name: 'Runs, newest first' });
      await history.waitFor();
      expect(await history.locator('tbody tr').count()).toBe(3);
      expect(await history.locator('tbody tr').first().textContent()).toContain('applied');
      await expectAccessible(page, 'job page');
      await screenshot(page, '05-sync-job');

      await page.getByRole('link', { name: 'Sync jobs' }).click();
      const jobs = page.getByRole('table', { name: 'Sync jobs' });
      await jobs.waitFor();
      expect(await jobs.locator('tbody tr').first().textContent()).toContain('succeeded');
      await expectAccessible(page, 'job list');
      await screenshot(page, '06-sync-jobs');
    },
  );

  it('imports contacts.csv with a live progress bar, filters the results and downloads the results file', SLOW, async () => {
    await page.getByRole('link', { name: 'Phone imports' }).click();
    await page.getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: CONTACTS });
    await page.getByLabel('Apply: set the numbers in the directory').check();
    await expectAccessible(page, 'phone upload');
    // Graph latency (sandbox knob) spreads the four chunks over a few seconds, so the bar has states to show.
    await fetch(`${stack.current.sandboxUrl}/_sandbox/knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: { min: 200, max: 300 } }),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Phone import: contacts.csv');

    // The bar moves chunk by chunk (2 rows per chunk here) until the import completes.
    const bar = page.getByRole('progressbar', { name: 'Import progress' });
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await bar.getAttribute('value')) ?? '');
          return page.locator('.status').first().textContent();
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe('completed');
    expect(await bar.getAttribute('value')).toBe('7');
    expect(
      [...seen].some((v) => Number(v) < 7),
      `values seen: ${[...seen].join(', ')}`,
    ).toBe(true);

    const rows = page.getByRole('table', { name: /Result rows/ });
    await rows.waitFor();
    expect(await rows.locator('tbody tr').count()).toBe(7);
    await expectAccessible(page, 'import results');
    await screenshot(page, '07-phone-import-results');

    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.locator('caption').textContent(), POLL).toBe('Result rows: 2 matches');
    const failed = await rows.locator('tbody').textContent();
    expect(failed).toContain('ghost@contosodemo.onmicrosoft.com');
    expect(failed).toContain('chloe.martin@contosodemo.onmicrosoft.com');

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('User or reason contains').fill('not found');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.locator('caption').textContent(), POLL).toBe('Result rows: 1 match');
    await screenshot(page, '08-phone-import-filtered');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /Download results file/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('contacts.results.csv');
    const file = await download.path();
    const text = readFileSync(file, 'utf8');
    expect(text.split('\r\n')[0]).toBe('line,user,phoneNumber,status,action,reason');
    expect(text).not.toContain('555-0142');

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Group sync, last 24 hours' }).waitFor();
    await screenshot(page, '09-overview-after');
    expect(problems).toEqual([]);
  });

  it('lists the demo tenant’s risk tickets after a poll, by name, and opens one with its timeline', SLOW, async () => {
    await fetch(`${stack.current.sandboxUrl}/_sandbox/knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timeScale: 50, latencyMs: { min: 0, max: 0 } }),
    });
    const polled = await fetch(`${stack.current.apiUrl}/api/risk/poll`, { method: 'POST' });
    const summary = (await polled.json()) as { opened: number; errors: unknown[] };
    expect(polled.status).toBe(200);
    expect(summary.errors).toEqual([]);
    expect(summary.opened).toBeGreaterThan(0);
    const api = (await (await fetch(`${stack.current.apiUrl}/api/tickets`)).json()) as {
      value: { ticketId: string; userPrincipalName: string; kind: string }[];
    };
    expect(api.value).toHaveLength(summary.opened);

    // The previous test ends on the overview; reload it so the count is read after the poll.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.reload();
    const open = page.getByRole('definition').filter({ has: page.getByRole('link', { name: String(summary.opened) }) });
    await open.waitFor();

    await page.getByRole('link', { name: 'Tickets', exact: true }).click();
    const list = page.getByRole('table', { name: /^Tickets: / });
    await list.waitFor();
    expect(await list.locator('tbody tr').count()).toBe(api.value.length);
    const text = (await list.locator('tbody').textContent()) ?? '';
    for (const t of api.value) expect(text).toContain(t.userPrincipalName);
    await expectAccessible(page, 'tickets');
    await screenshot(page, '10-tickets');

    const guests = api.value.filter((t) => t.kind === 'guest');
    await page.getByLabel('Kind').selectOption('guest');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => list.locator('caption').textContent(), POLL).toBe(`Tickets: ${guests.length}, newest first`);
    await page.getByLabel('Kind').selectOption('');
    const first = api.value[0];
    await page.getByLabel('User').fill(first?.userPrincipalName ?? '');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => list.locator('caption').textContent(), POLL).toBe('Tickets: 1, newest first');

    await list.locator('tbody a').first().click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toMatch(/^Ticket: /);
    const timeline = page.getByRole('table', { name: 'Timeline' });
    await timeline.waitFor();
    expect(await timeline.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await timeline.locator('tbody').textContent()).toContain('Opened');
    expect(await page.locator('dl[aria-label="Ticket"]').textContent()).toContain(first?.userPrincipalName ?? '');
    await expectAccessible(page, 'ticket');
    await screenshot(page, '11-ticket');
    expect(problems).toEqual([]);
  });

  it('shows break-glass status and guest-risk findings, takes a backup and compares it with live', SLOW, async () => {
    await page.getByRole('link', { name: 'Conditional Access' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Conditional Access');
    const status = page.locator('dl[aria-label="Break-glass status"]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/Policies checked\d+/);
    await page
      .getByRole('table', { name: 'Risk policies that include guests without excluding them' })
      .or(page.getByText('Risk policies that include guests without excluding them: none.'))
      .waitFor();
    await page.getByText('Backups, newest first: none yet.').waitFor();
    await expectAccessible(page, 'conditional access');
    await screenshot(page, '12-conditional-access');

    await page.getByRole('button', { name: 'Back up now' }).click();
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL)
      .toMatch(/^Backup \S+ compared with live$/);
    const counts = page.locator('dl[aria-label="Differences from live"]');
    await counts.waitFor();
    expect(await counts.textContent()).toContain('Changed0');
    await expectAccessible(page, 'backup diff');
    await screenshot(page, '13-ca-backup-diff');

    await page.getByRole('link', { name: 'Conditional Access', exact: true }).first().click();
    const backups = page.getByRole('table', { name: 'Backups, newest first' });
    await backups.waitFor();
    expect(await backups.locator('tbody tr').count()).toBe(1);
    expect(await backups.locator('tbody tr').first().textContent()).toContain('http');
    expect(problems).toEqual([]);
  });
});
