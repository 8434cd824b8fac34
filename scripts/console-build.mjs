// Builds the console (apps/console, React + Vite) into <outDir>/console and reports its size gzipped:
// every file the browser loads (index.html and assets/), each compressed with gzip level 9.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const CONSOLE_BUDGET_BYTES = 300 * 1024;

export async function buildConsole(outDir) {
  process.env.FLOWGATE_DIST_DIR = outDir;
  // Always React's production build, also when started from jest (NODE_ENV=test).
  process.env.NODE_ENV = 'production';
  await build({ configFile: 'apps/console/vite.config.ts', mode: 'production', logLevel: 'warn' });
  const dir = join(outDir, 'console');
  const gzipped = filesUnder(dir).reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  return { dir, gzipped };
}

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
