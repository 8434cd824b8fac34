// Bundles each service into dist/<service>.js with esbuild: our workspace packages are compiled in,
// third-party packages stay external (loaded from node_modules, so OpenTelemetry can instrument them).
import { build } from 'esbuild';
import { buildConsole, CONSOLE_BUDGET_BYTES } from './console-build.mjs';

const services = ['ingress', 'execution', 'scheduler', 'callback'];
// FLOWGATE_DIST_DIR: another output folder, so two test runs in one checkout do not swap each other's bundles.
const outDir = process.env.FLOWGATE_DIST_DIR || 'dist';

const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      // ipaddr.js is bundled: the root node_modules holds express's ipaddr.js 1.x (hoisted), while the
      // egress guard in packages/kit needs 2.x (its special-range table), resolved from packages/kit.
      if (args.path.startsWith('@flowgate/') || args.path === 'ipaddr.js') return undefined;
      return { path: args.path, external: true };
    });
  },
};

const started = Date.now();
await Promise.all(
  services.map((service) =>
    build({
      entryPoints: [`services/${service}/src/main.ts`],
      outfile: `${outDir}/${service}.js`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      logLevel: 'warning',
      plugins: [externalPackages],
    }),
  ),
);
// The flowgate CLI (packages/cli): one self-contained file, every dependency bundled, so plain node runs it.
await build({
  entryPoints: ['packages/cli/src/main.ts'],
  outfile: `${outDir}/flowgate.js`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
console.error(`build: ${services.length} services and the CLI bundled into ${outDir}/ in ${Date.now() - started} ms`);

// The web console the ingress serves at /console (ADR 0029).
const consoleStarted = Date.now();
const { dir, gzipped } = await buildConsole(outDir);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.error(
  `build: console built into ${dir}/ in ${Date.now() - consoleStarted} ms, ${kb(gzipped)} gzipped (budget ${kb(CONSOLE_BUDGET_BYTES)})`,
);
if (gzipped > CONSOLE_BUDGET_BYTES) {
  console.error('build: the console is over its size budget');
  process.exitCode = 1;
}
