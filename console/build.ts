import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { build } from 'esbuild';

/**
 * Builds the operator console into dist/console (run by `npm run build` after tsc): one bundled, minified script
 * (no CDN, no runtime downloads), the page and its stylesheet. Every file in console/src/views registers one view,
 * so the entry imports them all: adding a view is adding a file.
 */
const ROOT = path.resolve(__dirname, '../..');
const SOURCE = path.join(ROOT, 'console');
const OUT = path.join(ROOT, 'dist', 'console');

async function viewImports(): Promise<string> {
  const files = (await readdir(path.join(SOURCE, 'src', 'views'))).filter((f) => f.endsWith('.ts')).sort();
  return files.map((f) => `import './views/${f.slice(0, -3)}';`).join('\n');
}

export async function buildConsole(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  await build({
    stdin: { contents: `${await viewImports()}\nimport './main';\n`, resolveDir: path.join(SOURCE, 'src'), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    outfile: path.join(OUT, 'console.js'),
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'console.css'])
    await writeFile(path.join(OUT, file), await readFile(path.join(SOURCE, file)));
}

buildConsole().catch((err: unknown) => {
  process.stderr.write(`console build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
