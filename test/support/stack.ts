import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MongoClient, type Db } from 'mongodb';
import { createSubjects, type Subjects } from '@flowgate/contracts';
import { DIST, freePort, ROOT } from '../../scripts/local-servers';
import { SERVICE_NODE_FLAGS } from '../../scripts/service-node-flags';

/**
 * One isolated Flowgate per test file: the four services as separate processes (the bundled
 * dist/*.js), against the run's real NATS and MongoDB-wire server, with their own database name and
 * NATS subject/stream prefix so test files run in parallel.
 */
export type ServiceName = 'ingress' | 'execution' | 'scheduler' | 'callback';
export const ALL_SERVICES: ServiceName[] = ['ingress', 'execution', 'scheduler', 'callback'];

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

interface Running {
  child: ChildProcess;
  exit: Promise<number | null>;
  output: string[];
  /** When it first answered /readyz 200 (ms since the epoch); unset until then. */
  readyAt?: number;
}

export class Stack {
  readonly apiKey = `fgk_test_${randomBytes(18).toString('base64url')}`;
  readonly encryptionKey = randomBytes(32).toString('base64');
  readonly signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
  readonly prefix: string;
  /** Subjects, stream and bucket names under this stack's prefix. */
  readonly subjects: Subjects;
  readonly dbName: string;
  readonly natsUrl: string;
  readonly mongoUrl: string;
  readonly ports: Record<ServiceName, number> & { http: number; executionGrpc: number; schedulerGrpc: number };
  private readonly running = new Map<string, Running>();
  private readonly replicaOpsPorts = new Map<string, number>();
  private readonly replicaHttpPorts = new Map<string, number>();
  private readonly replicaGrpcPorts = new Map<string, number>();
  private mongo: MongoClient | undefined;

  private constructor(
    readonly name: string,
    ports: Stack['ports'],
    private readonly extraEnv: Partial<Record<ServiceName, Record<string, string>>>,
    servers: { natsUrl?: string; mongoUrl?: string },
  ) {
    const id = randomBytes(4).toString('hex');
    this.prefix = `fgt${id}`;
    this.subjects = createSubjects(this.prefix);
    this.dbName = `fgt_${name.replace(/[^A-Za-z0-9]/g, '_').slice(0, 30)}_${id}`;
    this.natsUrl = servers.natsUrl ?? required('FLOWGATE_TEST_NATS_URL');
    const mongo = new URL(servers.mongoUrl ?? required('FLOWGATE_TEST_MONGO_URL'));
    mongo.pathname = `/${this.dbName}`;
    this.mongoUrl = mongo.toString();
    this.ports = ports;
  }

  static async start(
    name: string,
    opts: {
      services?: ServiceName[];
      /** Extra / overriding variables per service; `FLOWGATE_EGRESS_ALLOW_CIDRS: ''` removes the default loopback allow-list. */
      env?: Partial<Record<ServiceName, Record<string, string>>>;
      /** Dedicated servers (for tests that stop them); default: the run's shared ones. */
      natsUrl?: string;
      mongoUrl?: string;
    } = {},
  ): Promise<Stack> {
    const ports = {
      ingress: await freePort(),
      execution: await freePort(),
      scheduler: await freePort(),
      callback: await freePort(),
      http: await freePort(),
      executionGrpc: await freePort(),
      schedulerGrpc: await freePort(),
    };
    const stack = new Stack(name, ports, opts.env ?? {}, { natsUrl: opts.natsUrl, mongoUrl: opts.mongoUrl });
    const started = await Promise.allSettled((opts.services ?? ALL_SERVICES).map((s) => stack.startService(s)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // None left running behind a failed start (the caller never gets the stack to stop).
      for (const running of stack.running.values()) running.child.kill('SIGKILL');
      throw failed.reason;
    }
    return stack;
  }

  /** Changes a service's variables for its next start (a redeploy with another setting). */
  setEnv(service: ServiceName, vars: Record<string, string>): void {
    this.extraEnv[service] = { ...(this.extraEnv[service] ?? {}), ...vars };
  }

  get ingressUrl(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  /** Public base URL of another ingress replica (the same webhooks and API, another process). */
  ingressReplicaUrl(replica: number): string {
    const port = this.replicaHttpPorts.get(replicaKey('ingress', replica));
    if (port === undefined) throw new Error(`ingress#${replica} was never started`);
    return `http://127.0.0.1:${port}`;
  }

  /** host:port of a replica's HTTP listener (ingress) or gRPC server (execution, scheduler). */
  listenAddress(service: 'ingress' | 'execution' | 'scheduler', replica = 1): string {
    const key = replicaKey(service, replica);
    const port =
      replica === 1
        ? { ingress: this.ports.http, execution: this.ports.executionGrpc, scheduler: this.ports.schedulerGrpc }[service]
        : service === 'ingress'
          ? this.replicaHttpPorts.get(key)
          : this.replicaGrpcPorts.get(key);
    if (port === undefined) throw new Error(`${key} was never started`);
    return `127.0.0.1:${port}`;
  }

  /** Ops base URL (metrics, probes) of a service replica. */
  opsUrl(service: ServiceName, replica = 1): string {
    const port = replica === 1 ? this.ports[service] : this.replicaOpsPorts.get(replicaKey(service, replica));
    if (port === undefined) throw new Error(`${replicaKey(service, replica)} was never started`);
    return `http://127.0.0.1:${port}`;
  }

  envFor(service: ServiceName): Record<string, string> {
    const common = {
      NATS_URL: this.natsUrl,
      MONGO_URL: this.mongoUrl,
      FLOWGATE_NATS_PREFIX: this.prefix,
      FLOWGATE_OPS_PORT: String(this.ports[service]),
      LOG_LEVEL: 'debug',
      FLOWGATE_SHUTDOWN_TIMEOUT_MS: '10000',
    };
    const specific: Record<ServiceName, Record<string, string>> = {
      ingress: {
        FLOWGATE_HTTP_PORT: String(this.ports.http),
        FLOWGATE_HTTP_HOST: '127.0.0.1',
        FLOWGATE_PUBLIC_URL: this.ingressUrl,
        FLOWGATE_EXECUTION_GRPC_URL: `127.0.0.1:${this.ports.executionGrpc}`,
        FLOWGATE_SCHEDULER_GRPC_URL: `127.0.0.1:${this.ports.schedulerGrpc}`,
        FLOWGATE_BOOTSTRAP_API_KEY: this.apiKey,
        FLOWGATE_ENCRYPTION_KEY: this.encryptionKey,
        // Off unless a test turns it on: bursts in other tests would otherwise be throttled.
        FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S: '0',
      },
      execution: {
        // Tests count MongoDB's executions after SETTLE_MS; the bench (no jest worker) runs the default.
        ...(process.env.JEST_WORKER_ID ? { FLOWGATE_PROJECTION_LAZY_MS: '250' } : {}),
        FLOWGATE_PUBLIC_URL: this.ingressUrl,
        FLOWGATE_GRPC_PORT: String(this.ports.executionGrpc),
        // Test receivers listen on 127.0.0.1: allow loopback egress (env: { execution: { FLOWGATE_EGRESS_ALLOW_CIDRS: '' } } = none).
        FLOWGATE_EGRESS_ALLOW_CIDRS: LOOPBACK_EGRESS,
      },
      scheduler: { FLOWGATE_GRPC_PORT: String(this.ports.schedulerGrpc), FLOWGATE_SCHEDULER_TICK_MS: '100' },
      callback: {
        FLOWGATE_CALLBACK_SIGNING_SECRET: this.signingSecret,
        FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: '0,1,1',
        // Opens per-workspace signing secrets; receivers are on loopback (env: { callback: { FLOWGATE_EGRESS_ALLOW_CIDRS: '' } } = none).
        FLOWGATE_ENCRYPTION_KEY: this.encryptionKey,
        FLOWGATE_EGRESS_ALLOW_CIDRS: LOOPBACK_EGRESS,
      },
    };
    return { ...common, ...specific[service], ...(this.extraEnv[service] ?? {}) };
  }

  /**
   * Starts a service process and waits until its /readyz answers 200. `replica` > 1 starts another
   * process of the same service with its own ops (and gRPC) port.
   */
  async startService(service: ServiceName, replica = 1, readyTimeoutMs = 30_000): Promise<void> {
    const key = replicaKey(service, replica);
    if (this.running.has(key)) throw new Error(`${key} already running`);
    const logDir = join(process.env.FLOWGATE_TEST_DATA_DIR ?? join(ROOT, '.test-results'), 'logs');
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `${this.dbName}-${key}.log`), { flags: 'a' });
    const opsPort = replica === 1 ? this.ports[service] : await freePort();
    if (replica > 1) this.replicaOpsPorts.set(key, opsPort);
    const grpcPort = replica === 1 ? undefined : await freePort();
    if (grpcPort !== undefined) this.replicaGrpcPorts.set(key, grpcPort);
    const extra: Record<string, string> =
      grpcPort === undefined ? {} : { FLOWGATE_OPS_PORT: String(opsPort), FLOWGATE_GRPC_PORT: String(grpcPort) };
    if (replica > 1 && service === 'ingress') {
      const httpPort = await freePort();
      this.replicaHttpPorts.set(key, httpPort);
      extra.FLOWGATE_HTTP_PORT = String(httpPort);
    }
    // FLOWGATE_TEST_NODE_ARGS: extra node flags for the services (bench:profile passes --cpu-prof, which NODE_OPTIONS refuses),
    // after the usual ones, so a V8 flag given there wins.
    const nodeArgs = (process.env.FLOWGATE_TEST_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, join(DIST, `${service}.js`)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.envFor(service), ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      log.write(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    this.running.set(key, { child, exit, output });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${key} exited with ${child.exitCode}:\n${output.join('').slice(-3000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
        if (res.status === 200) {
          const ready = this.running.get(key);
          if (ready) ready.readyAt = Date.now();
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${key} not ready after ${readyTimeoutMs / 1000} s:\n${output.join('').slice(-3000)}`);
  }

  /** When the latest of the running service processes reported ready (ms since the epoch), or null if none runs. */
  lastReadyAt(): number | null {
    const times = [...this.running.values()].flatMap((r) => (r.readyAt === undefined ? [] : [r.readyAt]));
    return times.length > 0 ? Math.max(...times) : null;
  }

  /** Sends a signal; resolves with the exit code once the process is gone. */
  async stopService(service: ServiceName, signal: NodeJS.Signals = 'SIGTERM', replica = 1): Promise<number | null> {
    const key = replicaKey(service, replica);
    const running = this.running.get(key);
    if (!running) return null;
    running.child.kill(signal);
    const code = await running.exit;
    this.running.delete(key);
    return code;
  }

  logs(service: ServiceName): string {
    return this.running.get(service)?.output.join('') ?? '';
  }

  /**
   * The database once the executions projection settled: MongoDB trails an execution's live state
   * (NATS KV) by the projection's lazy delay (FLOWGATE_PROJECTION_LAZY_MS, 250 ms in tests) plus a flush, so
   * counts of executions ("nothing was started", "one more") are taken after that.
   */
  async settledDb(): Promise<Db> {
    await sleep(SETTLE_MS);
    return this.db();
  }

  async db(): Promise<Db> {
    if (!this.mongo) {
      this.mongo = new MongoClient(this.mongoUrl);
      await this.mongo.connect();
    }
    return this.mongo.db();
  }

  async api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.apiKey}`, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    return request<T>(`${this.ingressUrl}${path}`, init);
  }

  /** An API key of another workspace (stored as ingress stores keys: its SHA-256 only). */
  async apiKeyForWorkspace(workspaceId: string): Promise<string> {
    const key = `fgk_${workspaceId}_${randomBytes(18).toString('base64url')}`;
    // The workspace's document (as POST /v1/workspaces makes it), so the operator can set its limits.
    await (
      await this.db()
    )
      .collection<{ _id: string }>('workspaces')
      .updateOne(
        { _id: workspaceId },
        { $setOnInsert: { name: workspaceId, status: 'active', created_at: new Date(), updated_at: new Date() } },
        { upsert: true },
      );
    await (await this.db()).collection('api_keys').insertOne({
      _id: `key_${workspaceId}_${randomBytes(4).toString('hex')}`,
      workspace_id: workspaceId,
      name: workspaceId,
      key_hash: createHash('sha256').update(key).digest('hex'),
      key_prefix: key.slice(0, 8),
      created_at: new Date(),
      revoked_at: null,
    } as never);
    return key;
  }

  /**
   * A workspace made through the operator API (the bootstrap key is the operator) and its first
   * admin key, as an installation's platform team makes them; `settings` go into the create body.
   */
  async newWorkspace(name: string, settings: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const created = await this.api('POST', '/v1/workspaces', { name, ...settings });
    if (created.status !== 201) throw new Error(`workspace ${name}: ${created.status} ${created.text}`);
    const id = String(created.body.id);
    const minted = await this.api('POST', `/v1/workspaces/${id}/api-keys`, { name: `${name} admin`, scopes: ['admin'] });
    if (minted.status !== 201) throw new Error(`first key of ${name}: ${minted.status} ${minted.text}`);
    return { id, key: String(minted.body.key) };
  }

  /** Creates and publishes a workflow; returns its id and webhook URLs. */
  async deploy(definition: unknown): Promise<{ id: string; async: string; sync: string }> {
    const created = await this.api('POST', '/v1/workflows', definition);
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
    const published = await this.api('POST', `/v1/workflows/${created.body.id}/publish`);
    if (published.status !== 201) throw new Error(`publish failed: ${published.status} ${published.text}`);
    return { id: created.body.id, ...created.body.triggers.production };
  }

  /** Polls GET /v1/executions/{id} until `until` holds. */
  async waitForExecution(id: string, until: (e: any) => boolean = (e) => TERMINAL.includes(e.status), timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse | undefined;
    while (Date.now() < deadline) {
      last = await this.api('GET', `/v1/executions/${id}`);
      if (last.status === 200 && until(last.body)) return last.body;
      await sleep(100);
    }
    throw new Error(`execution ${id} did not reach the expected state: ${last?.status} ${last?.text}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.running.entries()].map(async ([key, running]) => {
        running.child.kill('SIGTERM');
        await running.exit;
        this.running.delete(key);
      }),
    );
    const db = await this.db();
    await db.dropDatabase().catch(() => undefined);
    await this.mongo?.close();
    const nc = await connect({ servers: this.natsUrl.split(',') });
    const jsm = await jetstreamManager(nc);
    for (const stream of [this.subjects.commandsStream, this.subjects.eventsStream, `KV_${this.subjects.leasesBucket}`])
      await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

const replicaKey = (service: ServiceName, replica: number) => (replica === 1 ? service : `${service}#${replica}`);

/** Longer than the projection's lazy delay plus a flush under test load. */
const SETTLE_MS = 700;

export const TERMINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** The execution service's default egress allow-list in tests: the local receivers are on loopback. */
export const LOOPBACK_EGRESS = '127.0.0.0/8,::1/128';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (test/support/global-setup.ts)`);
  return value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function request<T = any>(url: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}
