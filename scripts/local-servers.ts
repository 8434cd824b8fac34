import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * Starts the real servers Flowgate needs on this machine: a pinned nats-server with JetStream and
 * FerretDB 1.x (MongoDB wire protocol, SQLite backend), both built by scripts/tools.sh into
 * .tools/bin. Used by `pnpm dev`, the jest global set-up and `pnpm bench`.
 */
export const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, '.tools', 'bin');
/** Where scripts/build.mjs bundled the services (FLOWGATE_DIST_DIR, default dist/). */
export const DIST = resolve(ROOT, process.env.FLOWGATE_DIST_DIR || 'dist');

export interface LocalServer {
  name: string;
  url: string;
  port: number;
  process: ChildProcess;
  /** nats-server's HTTP monitoring endpoint (/varz, /connz), when it has one. */
  monitorUrl?: string;
  stop(): Promise<void>;
}

/**
 * A port for a process started later. Ports come from below the kernel's ephemeral range
 * (32768+ on Linux), in a block of its own per jest worker: a port found free by binding port 0
 * and handed to a child a second later could be taken in between by any outgoing connection of
 * this machine (CI saw `EADDRINUSE` exactly so); these ones are never picked for outgoing sockets,
 * and a process never hands out the same one twice.
 */
const PORT_BASE = 20_000;
const PORT_BLOCK = 600;
const PORT_BLOCKS = 20;
let portCursor: number | undefined;

export async function freePort(): Promise<number> {
  const block = Number(process.env.JEST_WORKER_ID ?? 0) % PORT_BLOCKS;
  const start = PORT_BASE + block * PORT_BLOCK;
  portCursor ??= process.pid % PORT_BLOCK;
  for (let tried = 0; tried < PORT_BLOCK; tried++) {
    const port = start + (portCursor++ % PORT_BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${start}-${start + PORT_BLOCK - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    // 0.0.0.0 is what the services bind; it also conflicts with anything on 127.0.0.1.
    server.listen(port, '0.0.0.0', () => server.close(() => resolveFree(true)));
  });
}

export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((done) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export function binary(name: string): string {
  const path = join(BIN, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`bash scripts/tools.sh\` first`);
  return path;
}

export function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGTERM');
    });
}

/** `detached`: a process group of its own, so a Ctrl-C in the terminal reaches only the parent, which stops it in order. */
export function launch(name: string, command: string, args: string[], logFile: string, detached = false): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.once('error', (err) => log.write(`${name} failed to start: ${err.message}\n`));
  return child;
}

/**
 * nats-server with JetStream on a free loopback port; data in `dataDir`. `syncInterval`: JetStream's
 * `sync_interval` (`always`: fsync every write before it is acknowledged; absent: the server's
 * default, a background fsync every 2 minutes).
 */
export async function startNats(
  dataDir: string,
  opts: { port?: number; monitorPort?: number; syncInterval?: string; ownProcessGroup?: boolean } = {},
): Promise<LocalServer> {
  if (opts.syncInterval !== undefined && !/^(always|\d+(ms|s|m|h))$/.test(opts.syncInterval))
    throw new Error(`sync_interval "${opts.syncInterval}": \`always\` or a duration such as 10s, 2m`);
  mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const monitorPort = opts.monitorPort ?? (await freePort());
  const configFile = join(dataDir, 'nats.conf');
  writeFileSync(
    configFile,
    [
      `listen: "127.0.0.1:${port}"`,
      `http: "127.0.0.1:${monitorPort}"`,
      'max_payload: 8MB',
      `jetstream { store_dir: "${join(dataDir, 'jetstream')}", max_memory_store: 256MB, max_file_store: 8GB` +
        `${opts.syncInterval ? `, sync_interval: ${opts.syncInterval}` : ''} }`,
      '',
    ].join('\n'),
  );
  const child = launch('nats-server', binary('nats-server'), ['-c', configFile], join(dataDir, 'nats-server.log'), opts.ownProcessGroup);
  await waitForPort(port, 15_000, child);
  return {
    name: 'nats-server',
    url: `nats://127.0.0.1:${port}`,
    port,
    process: child,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    stop: stopper(child),
  };
}

/** FerretDB 1.x with its SQLite backend on a free loopback port; data in `dataDir`. */
export async function startFerretDb(dataDir: string, opts: { port?: number; ownProcessGroup?: boolean } = {}): Promise<LocalServer> {
  const sqliteDir = join(dataDir, 'sqlite');
  mkdirSync(sqliteDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const debugPort = await freePort();
  const child = launch(
    'ferretdb',
    binary('ferretdb'),
    [
      '--handler=sqlite',
      // Write transactions take the lock up front, so concurrent writers wait (busy_timeout) instead
      // of failing with SQLITE_BUSY when a read transaction cannot be upgraded. journal_size_limit:
      // SQLite reuses a write-ahead log from its start after a checkpoint but never shrinks the file,
      // so one burst (readers holding checkpoints back) left it at its peak for good (measured: 84 MB
      // after 20 s of batched inserts beside readers, still 84 MB once idle); with the limit it is cut
      // back to 16 MB at the next reset, and the store's files follow what is retained.
      `--sqlite-url=file:${sqliteDir}/?_txlock=immediate&_pragma=journal_size_limit(16777216)`,
      `--listen-addr=127.0.0.1:${port}`,
      `--debug-addr=127.0.0.1:${debugPort}`,
      `--state-dir=${dataDir}`,
      '--telemetry=disable',
      '--log-level=warn',
    ],
    join(dataDir, 'ferretdb.log'),
    opts.ownProcessGroup,
  );
  await waitForPort(port, 15_000, child);
  // Beside it, the checkpointer that keeps the write-ahead logs bounded under a steady load, where
  // SQLite never finds the moment to start a log over (scripts/sqlite-checkpoint/main.go).
  const checkpointer = launch(
    'sqlite-checkpoint',
    binary('sqlite-checkpoint'),
    [`-dir=${sqliteDir}`, '-every=1s', `-above=${64 * 1024 * 1024}`],
    join(dataDir, 'sqlite-checkpoint.log'),
    opts.ownProcessGroup,
  );
  const [stopFerret, stopCheckpointer] = [stopper(child), stopper(checkpointer)];
  return {
    name: 'ferretdb',
    url: `mongodb://127.0.0.1:${port}`,
    port,
    process: child,
    stop: async () => {
      await Promise.all([stopCheckpointer(), stopFerret()]);
    },
  };
}
