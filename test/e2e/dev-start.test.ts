import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../../scripts/local-servers';
import { connects, otherAddress } from '../support/network';

/**
 * `pnpm dev`'s own part (scripts/dev.ts) as a user starts it: a process group of its own like a
 * terminal's foreground job, its data and ports isolated. The banner names everything needed next,
 * its sample works, the listeners are on loopback only, and Ctrl-C (SIGINT to the group) ends it with
 * exit code 0 and no warning on the way.
 */

describe('pnpm dev (scripts/dev.ts)', () => {
  const data = mkdtempSync(join(tmpdir(), 'flowgate-dev-'));
  afterAll(() => rmSync(data, { recursive: true, force: true }));

  it('prints what a user needs, listens on loopback only and exits 0 on Ctrl-C', async () => {
    const http = await freePort();
    const ops = [await freePort(), await freePort(), await freePort(), await freePort()];
    const grpc = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLOWGATE_DEV_DATA_DIR: data,
      FLOWGATE_HTTP_PORT: String(http),
      FLOWGATE_DEV_ECHO_PORT: String(await freePort()),
      FLOWGATE_DEV_OPS_PORTS: ops.join(','),
      FLOWGATE_DEV_GRPC_PORTS: grpc.join(','),
    };
    // The defaults a user has: embedded servers, loopback.
    for (const name of ['NATS_URL', 'MONGO_URL', 'FLOWGATE_BIND_ADDRESS', 'FLOWGATE_PUBLIC_URL', 'FLOWGATE_CALLBACK_SIGNING_SECRET'])
      delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'dev.ts')], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const deadline = Date.now() + 100_000;
      while (!output.includes('Press Ctrl-C') && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      expect(output).toContain('Press Ctrl-C');

      const base = `http://127.0.0.1:${http}`;
      expect(output).toContain(`API             : ${base}/v1`);
      expect(output).toContain(`Console         : ${base}/console`);
      expect(output).toContain('listening on 127.0.0.1 only');
      const apiKey = /API key {9}: (fgk_\S+)/.exec(output)?.[1];
      expect(apiKey).toBeDefined();
      expect(output).toMatch(/Callback secret : whsec_[A-Za-z0-9+/=]{40,}/);

      // The sample: create with ?publish=true, fire the sync URL from the answer.
      const created = await fetch(`${base}/v1/workflows?publish=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'hello',
          steps: [{ id: 'greet', type: 'transform', expression: '{"greeting": "Hello, " & trigger.body.name}' }],
        }),
      });
      expect(created.status).toBe(201);
      const sync = ((await created.json()) as { triggers: { production: { sync: string } } }).triggers.production.sync;
      const fired = await fetch(sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada"}' });
      expect(await fired.json()).toEqual({ greeting: 'Hello, Ada' });

      // Loopback only: not reachable on another address of this machine.
      for (const port of [http, ...ops, ...grpc]) {
        expect(await connects('127.0.0.1', port)).toBe(true);
        if (otherAddress) expect(await connects(otherAddress, port)).toBe(false);
      }

      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      const result = await exited;
      expect(result).toEqual({ code: 0, signal: null });
      expect(output).toContain('Stopped.');
      expect(output).not.toMatch(/warn|ELIFECYCLE|error/i);
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }
  }, 180_000);
});
