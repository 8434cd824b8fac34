import { run } from './program';

/** The `flowgate` binary's entry (bundled to dist/flowgate.js by scripts/build.mjs). */
run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`flowgate: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
