#!/usr/bin/env node
// Runs the compiled CLI when it is built (`npm run build`) and up to date, else the TypeScript
// source through tsx (development). A build older than the source is not run: the source is,
// with a one-line warning, so a stale dist/ never runs by surprise.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const sourceDir = fileURLToPath(new URL('../src', import.meta.url));

/** The newest modification time of the TypeScript sources (0 when there are none). */
function newestSourceMs(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const isBuilt = existsSync(compiled);
if (isBuilt && statSync(compiled).mtimeMs >= newestSourceMs(sourceDir)) {
  await import(pathToFileURL(compiled).href);
} else {
  if (isBuilt) {
    process.stderr.write(
      'quorum: dist/ is older than src/; running the source (npm run build to update)\n',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
