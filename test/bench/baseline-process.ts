import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/local-servers';

/**
 * Parent side of a baseline: runs baseline-server.ts (or another script of test/bench, e.g. the bare
 * durable pipeline in durable-server.ts) in its own process (own event loop, own CPU time).
 */
export interface BaselineServer {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

function readyPort(message: unknown): number | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, port } = message as { type?: unknown; port?: unknown };
  return type === 'ready' && typeof port === 'number' ? port : undefined;
}

export async function startBaselineServer(
  natsUrl: string,
  logFile: string,
  timeoutMs = 30_000,
  opts: { script?: string; env?: Record<string, string> } = {},
): Promise<BaselineServer> {
  const script = opts.script ?? 'baseline-server.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'bench', script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_NATS_URL: natsUrl, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    log.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((done) => log.end(() => done()));
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} not ready after ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (message: unknown) => {
        const p = readyPort(message);
        if (p === undefined) return;
        clearTimeout(timer);
        resolve(p);
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${signal ?? code}) before it was ready:\n${output.join('').slice(-3000)}`));
      });
    });
    return { url: `http://127.0.0.1:${port}/`, pid: child.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
