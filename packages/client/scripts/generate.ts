import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '@flowgate/ingress/openapi-document';
import { typesOf } from './types-of';

/**
 * Writes src/generated/openapi.ts from the ingress route declarations (offline: no server runs).
 * `--check [file]`: writes nothing, exits 1 when the file (default: the generated one) is stale.
 * (A child process, not an import in jest: openapi-typescript loads ESM-only modules.)
 */
const GENERATED = join(__dirname, '..', 'src', 'generated', 'openapi.ts');

async function main(args: string[]): Promise<number> {
  const fresh = await typesOf(openApiDocument);
  if (args[0] === '--check') {
    const file = args[1] ?? GENERATED;
    if (readFileSync(file, 'utf8') === fresh) return 0;
    process.stderr.write(`generate: ${file} is stale: run npx -y pnpm@10.34.9 --filter @flowgate/client generate\n`);
    return 1;
  }
  writeFileSync(GENERATED, fresh);
  process.stderr.write(`generate: wrote ${GENERATED}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`generate: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
