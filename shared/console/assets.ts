import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { HttpResponseInit } from '@azure/functions';

import type { AppConfig } from '../config';
import { notFound } from '../errors';
import { errorResponse } from '../http/respond';

/**
 * The console's static files, built by `npm run build` into dist/console and served by the app itself (no CDN).
 * Only the files below are served: a request for anything else is a 404, never a read of an arbitrary path.
 */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js.LEGAL.txt': 'text/plain; charset=utf-8',
};

/**
 * dist/console: next to dist/shared when the app runs compiled (Azure, `npm start`); under dist/ when this module runs
 * from its TypeScript source (tests), which still serve what `npm run build` produced.
 */
export const CONSOLE_DIR =
  [path.resolve(__dirname, '../../console'), path.resolve(__dirname, '../../dist/console')].find((d) =>
    existsSync(path.join(d, 'console.js')),
  ) ?? path.resolve(__dirname, '../../console');

/**
 * A strict policy: scripts and styles only from this origin (no inline code, no eval), API calls only to this origin
 * and the sign-in authority, no framing of the console (clickjacking), no plugins, no base-URL tricks.
 */
export function contentSecurityPolicy(config: AppConfig): string {
  const authority = config.console.auth ? new URL(config.console.auth.authority).origin : undefined;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${authority ? ` ${authority}` : ''}`,
    // MSAL renews tokens silently in a hidden iframe on the authority.
    ...(authority ? [`frame-src ${authority}`] : []),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function securityHeaders(config: AppConfig): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
  };
}

/** `console/` and `console/index.html` give the page; other names must be one of the built assets. */
export async function consoleAsset(
  requested: string | undefined,
  config: AppConfig,
  dir = CONSOLE_DIR,
): Promise<HttpResponseInit> {
  const name = !requested ? 'index.html' : requested;
  const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  // Refused in the app's error model like every other route, so scripts and the console read one shape.
  if (!type) return errorResponse(notFound('NOT_FOUND', 'No console file has this name', { served: Object.keys(ASSETS) }));
  const body = await readFile(path.join(dir, name));
  return {
    status: 200,
    body,
    headers: {
      'content-type': type,
      // The page must be revalidated so a deployment takes effect at once; the bundle name is stable, so it too.
      'cache-control': 'no-cache',
      ...securityHeaders(config),
    },
  };
}
