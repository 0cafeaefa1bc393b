import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Headless Chromium from the OS packages (Debian's `chromium`, which .ci/run installs), driven by playwright-core.
 * In CI a missing browser fails the run; elsewhere the browser suites are skipped with a message saying why.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`Chromium is missing at ${CHROMIUM}: CI must install it (apt-get install chromium)`);
  process.stderr.write(`browser tests skipped: no Chromium at ${CHROMIUM} (install it, or set CHROMIUM_PATH)\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // A closed network refuses Chromium's own background traffic; these keep the browser to the page under test.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Problems a page reports on its own: script errors, Content-Security-Policy violations, missing assets, 5xx. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // API answers of 4xx (validation the test provokes) are logged by Chromium too; the assets are checked below.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
      problems.push(`console error: ${msg.text()}`);
  });
  page.on('response', (res) => {
    const asset = res.url().includes('/api/console/') && !res.url().includes('/api/console/api/');
    if (res.status() >= 400 && (asset || res.status() >= 500)) problems.push(`${res.status()} for ${res.url()}`);
  });
  return problems;
}

/** axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays in force). */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    // Runs in the page, where axe-core was just evaluated as a global (the test's tsconfig has no DOM types).
    const inPage = (globalThis as unknown as { axe: typeof axe }).axe;
    const r = await inPage.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${label}: serious or critical accessibility violations`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
