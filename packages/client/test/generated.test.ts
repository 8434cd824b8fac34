import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The committed types are what the route declarations generate now (else: run the generate script). */
const SCRIPT = join(__dirname, '..', 'scripts', 'generate.ts');
const GENERATED = join(__dirname, '..', 'src', 'generated', 'openapi.ts');

function check(file: string): { code: number; stderr: string } {
  try {
    execFileSync(process.execPath, ['--import', 'tsx', SCRIPT, '--check', file], { stdio: 'pipe', encoding: 'utf8' });
    return { code: 0, stderr: '' };
  } catch (err) {
    const failed = err as { status: number; stderr: string };
    return { code: failed.status, stderr: failed.stderr };
  }
}

describe('packages/client/src/generated/openapi.ts', () => {
  it('is up to date with the ingress routes', () => {
    expect(check(GENERATED)).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(GENERATED, 'utf8')).toContain('"/v1/executions/{id}/events"');
  });

  it('is reported stale when it differs from what the routes generate', () => {
    const stale = join(mkdtempSync(join(tmpdir(), 'flowgate-client-')), 'openapi.ts');
    writeFileSync(stale, readFileSync(GENERATED, 'utf8').replace('"/v1/executions/{id}/events"', '"/v1/executions/{id}/old"'));
    const result = check(stale);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is stale');
  });
});
