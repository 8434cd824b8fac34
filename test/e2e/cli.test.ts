import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST } from '../../scripts/local-servers';
import { Stack } from '../support/stack';

/**
 * The flowgate CLI (dist/flowgate.js, as a child process) against the running services: login,
 * apply of a folder of YAML workflows (plan, create, publish; unchanged; update), get, fire --sync,
 * describe, logs -f, replay, cancel, errors in Flowgate's shape with their exit codes — and the
 * API key never in any output.
 */
interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('flowgate CLI', () => {
  let stack: Stack;
  const configDir = mkdtempSync(join(tmpdir(), 'flowgate-cli-config-'));
  const workDir = mkdtempSync(join(tmpdir(), 'flowgate-cli-work-'));
  const flowsDir = join(workDir, 'workflows');
  const outputs: string[] = [];

  const cli = (args: string[], input?: string): Promise<Ran> =>
    new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, FLOWGATE_CONFIG_DIR: configDir };
      delete env.FLOWGATE_URL;
      delete env.FLOWGATE_API_KEY;
      const child = spawn(process.execPath, [join(DIST, 'flowgate.js'), ...args], { env, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        outputs.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(input ?? '');
    });
  const json = (ran: Ran) => JSON.parse(ran.stdout);

  const echo = (expression: string) =>
    `name: cli-echo\nsteps:\n  - id: shape\n    type: transform\n    expression: '${expression}'\n  - id: done\n    type: transform\n    expression: '"ok"'\n`;
  const pause = `name: cli-pause\nsteps:\n  - id: pause\n    type: delay\n    duration_s: 1.5\n  - id: after\n    type: transform\n    expression: '"resumed"'\n`;

  beforeAll(async () => {
    stack = await Stack.start('cli');
    mkdirSync(flowsDir);
    writeFileSync(join(flowsDir, 'echo.yaml'), echo('trigger.body.n * 2'));
    writeFileSync(join(flowsDir, 'pause.yaml'), pause);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('logs in with a key from stdin, into a 0600 config file', async () => {
    const ran = await cli(['login', '--url', stack.ingressUrl, '--api-key-stdin'], stack.apiKey);
    expect(ran).toMatchObject({ code: 0 });
    expect(ran.stdout).toContain(`Logged in to ${stack.ingressUrl}`);
    const file = join(configDir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: stack.ingressUrl, api_key: stack.apiKey });

    const wrong = await cli(['login', '--url', stack.ingressUrl, '--api-key-stdin'], 'fgk_wrong_key');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('flowgate: unauthorized');
  });

  it('applies a folder: plan first, both created and published; again: unchanged; a change: updated and published', async () => {
    const first = await cli(['apply', '-f', flowsDir]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('Plan: 2 to create, 0 to update, 0 unchanged, 2 to publish');
    expect(first.stderr).toMatch(/\+ create +cli-echo/);
    expect(first.stdout).toMatch(/cli-echo: create, published v1 \(wf_/);
    expect(first.stdout).toMatch(/cli-pause: create, published v1 \(wf_/);

    const again = await cli(['apply', '-f', flowsDir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Plan: 0 to create, 0 to update, 2 unchanged, 0 to publish');

    writeFileSync(join(flowsDir, 'echo.yaml'), echo('trigger.body.n * 3'));
    const dry = await cli(['apply', '-f', flowsDir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('Plan: 0 to create, 1 to update, 1 unchanged, 1 to publish');
    expect(dry.stdout).toContain('Dry run: nothing changed');

    const changed = await cli(['apply', '-f', flowsDir]);
    expect(changed.code).toBe(0);
    expect(changed.stderr).toMatch(/~ update +cli-echo .*→ publish v2/);
    expect(changed.stdout).toMatch(/cli-echo: update, published v2/);

    const listed = await cli(['get', 'workflows', '-o', 'json']);
    expect(listed.code).toBe(0);
    const byName = Object.fromEntries(json(listed).map((w: any) => [w.name, w.published_version]));
    expect(byName).toEqual({ 'cli-echo': 2, 'cli-pause': 1 });

    // export → files → apply: the round trip through git changes nothing.
    const exported = join(workDir, 'exported');
    const wrote = await cli(['export', 'cli-echo', 'cli-pause', '--dir', exported]);
    expect(wrote.code).toBe(0);
    expect(readFileSync(join(exported, 'cli-echo.yaml'), 'utf8')).toContain('trigger.body.n * 3');
    const reapplied = await cli(['apply', '-f', exported]);
    expect(reapplied.code).toBe(0);
    expect(reapplied.stderr).toContain('Plan: 0 to create, 0 to update, 2 unchanged, 0 to publish');
  });

  it('fires --sync with --data @file, and describes the execution as a timeline', async () => {
    const body = join(workDir, 'body.json');
    writeFileSync(body, JSON.stringify({ n: 7 }));
    const fired = await cli(['fire', 'cli-echo', '--sync', '--data', `@${body}`, '-o', 'json']);
    expect(fired.code).toBe(0);
    const execution = json(fired);
    expect(execution).toMatchObject({ status: 'succeeded', final_output: 'ok' });
    expect(execution.step_executions[0].output).toBe(21);

    const described = await cli(['describe', 'execution', execution.id]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`Execution ${execution.id}  SUCCEEDED`);
    expect(described.stdout).toMatch(/succeeded +shape \(transform\)/);
    expect(described.stdout).toMatch(/succeeded +done \(transform\)/);

    const listed = await cli(['get', 'executions', '--workflow', 'cli-echo']);
    expect(listed.stdout).toContain(execution.id);
  });

  it('exits 3 when the execution fire --sync followed failed, and the timeline shows the error', async () => {
    const failing = join(workDir, 'failing.yaml');
    writeFileSync(failing, `name: cli-failing\nsteps:\n  - id: boom\n    type: transform\n    expression: '$error("boom")'\n`);
    expect((await cli(['apply', '-f', failing])).code).toBe(0);
    const fired = await cli(['fire', 'cli-failing', '--sync']);
    expect(fired.code).toBe(3);
    const id = /Execution (\S+) failed/.exec(fired.stdout)?.[1];
    expect(id).toBeDefined();
    const described = await cli(['describe', 'execution', id ?? '']);
    expect(described.stdout).toMatch(/failed +boom \(transform\)/);
    expect(described.stdout).toContain('boom');
  });

  it('follows a delayed execution with logs -f until it ends, then replays it', async () => {
    const fired = await cli(['fire', 'cli-pause', '-o', 'json']);
    expect(fired.code).toBe(0);
    const id = json(fired).execution_id as string;
    const logs = await cli(['logs', '-f', id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/execution waiting \(delay until /);
    expect(logs.stdout).toMatch(/succeeded +pause \(delay\)/);
    expect(logs.stdout).toContain(`Execution ${id} ended succeeded`);

    const replayed = await cli(['replay', id, '-o', 'json']);
    expect(replayed.code).toBe(0);
    expect(json(replayed)).toMatchObject({ replay_of: id, status: 'queued' });
    expect(json(replayed).execution_id).not.toBe(id);
  });

  it('cancels a waiting execution; logs -f of it exits 3; cancelling again is a conflict in the error shape', async () => {
    const slow = join(workDir, 'slow.yaml');
    writeFileSync(slow, `name: cli-slow\nsteps:\n  - id: pause\n    type: delay\n    duration_s: 600\n`);
    expect((await cli(['apply', '-f', slow])).code).toBe(0);
    const id = json(await cli(['fire', 'cli-slow', '-o', 'json'])).execution_id as string;
    await stack.waitForExecution(id, (e) => e.status === 'waiting');
    const following = cli(['logs', '-f', id]);
    const cancelled = await cli(['cancel', id]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `Execution ${id} cancelled\n` });
    const logs = await following;
    expect(logs.code).toBe(3);
    expect(logs.stdout).toContain(`Execution ${id} ended cancelled`);

    const again = await cli(['cancel', id, '-o', 'json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr).error.code).toBe('conflict');
  });

  it('refuses bad input with exit codes and messages in Flowgate’s error shape', async () => {
    const missing = await cli(['describe', 'execution', 'ex_nope', '-o', 'json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: expect.stringMatching(/not_found|invalid_request/) } });

    const broken = join(workDir, 'broken.yaml');
    writeFileSync(broken, 'name: broken\nsteps: []\n');
    const invalid = await cli(['apply', '-f', broken, '-o', 'json']);
    expect(invalid.code).toBe(1);
    const error = JSON.parse(invalid.stderr).error;
    expect(error.code).toBe('invalid_workflow_definition');
    expect(error.details.issues[0].path).toBe('steps');

    const usage = await cli(['fire']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'workflow'");

    const unknownWorkflow = await cli(['fire', 'no-such-workflow']);
    expect(unknownWorkflow).toMatchObject({
      code: 1,
      stderr: 'flowgate: workflow_not_found: No workflow named or with id "no-such-workflow"\n',
    });
  });

  it('never printed the API key', () => {
    expect(outputs.length).toBeGreaterThan(20);
    expect(outputs.filter((o) => o.includes(stack.apiKey))).toEqual([]);
  });
});
