import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { DIST, ROOT, startFerretDb, startNats, waitForPort, type LocalServer } from './local-servers';
import { SERVICE_NODE_FLAGS } from './service-node-flags';

/**
 * `pnpm dev`: the whole platform on this machine with nothing configured. Starts nats-server and
 * FerretDB (data in .data/, unless NATS_URL / MONGO_URL point elsewhere), a small echo endpoint for
 * the sample workflow, and the four services, every listener on loopback (FLOWGATE_BIND_ADDRESS,
 * default 127.0.0.1 here); prints what a user needs next: URLs, the API key, the callback signing
 * secret and a curl line. Ctrl-C stops everything and exits 0. FLOWGATE_DEV_NATS_SYNC_INTERVAL (e.g.
 * `always`) sets the embedded nats-server's JetStream `sync_interval` (default: nats-server's own,
 * an fsync every 2 minutes). FLOWGATE_DEV_DATA_DIR, FLOWGATE_DEV_OPS_PORTS (four: ingress,
 * execution, scheduler, callback) and FLOWGATE_DEV_GRPC_PORTS (two: execution, scheduler) let a
 * second copy run beside the first.
 */
const DATA = resolve(ROOT, process.env.FLOWGATE_DEV_DATA_DIR || '.data');
const SERVICES = ['execution', 'scheduler', 'callback', 'ingress'] as const;
type Service = (typeof SERVICES)[number];
const BIND = process.env.FLOWGATE_BIND_ADDRESS || '127.0.0.1';
/** Where this script reaches the services: the bound address, or loopback when they bind every interface. */
const HOST = BIND === '0.0.0.0' || BIND === '::' ? '127.0.0.1' : BIND.includes(':') ? `[${BIND}]` : BIND;
const HTTP_PORT = Number(process.env.FLOWGATE_HTTP_PORT ?? 8080);
const ECHO_PORT = Number(process.env.FLOWGATE_DEV_ECHO_PORT ?? 8099);
const OPS_PORTS = portList('FLOWGATE_DEV_OPS_PORTS', ['ingress', 'execution', 'scheduler', 'callback'], [9464, 9465, 9466, 9467]);
const GRPC_PORTS = portList('FLOWGATE_DEV_GRPC_PORTS', ['execution', 'scheduler'], [50051, 50052]);

/** A comma-separated list of ports, one per name, or the defaults. */
function portList<N extends string>(variable: string, names: N[], defaults: number[]): Record<N, number> {
  const text = process.env[variable];
  const ports = text ? text.split(',').map((p) => Number(p.trim())) : defaults;
  if (ports.length !== names.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    process.stderr.write(`${variable}: ${names.length} ports, comma-separated (${names.join(', ')})\n`);
    process.exit(2);
  }
  return Object.fromEntries(names.map((n, i) => [n, ports[i]])) as Record<N, number>;
}

interface DevSecrets {
  apiKey: string;
  encryptionKey: string;
  signingSecret: string;
}

function devSecrets(): DevSecrets {
  const file = join(DATA, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    apiKey: process.env.FLOWGATE_BOOTSTRAP_API_KEY ?? `fgk_${randomBytes(24).toString('base64url')}`,
    encryptionKey: randomBytes(32).toString('base64'),
    signingSecret: `whsec_${randomBytes(32).toString('base64')}`,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function startEcho(): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // keep text
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echoed: body, method: req.method, path: req.url }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(ECHO_PORT, '127.0.0.1', () => resolve(() => new Promise<void>((done) => server.close(() => done()))));
  });
}

async function main(): Promise<void> {
  for (const dir of ['logs', 'nats', 'ferretdb']) mkdirSync(join(DATA, dir), { recursive: true });
  const data = relative(ROOT, DATA) || '.';
  const logs = join(data, 'logs');
  const secrets = devSecrets();
  const servers: LocalServer[] = [];
  const children = new Map<Service, ChildProcess>();
  let stopEcho: (() => Promise<void>) | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nStopping Flowgate ...\n');
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await stopEcho?.();
    for (const server of servers.reverse()) await server.stop();
    process.stderr.write('Stopped.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    let natsUrl = process.env.NATS_URL;
    let mongoUrl = process.env.MONGO_URL;
    if (!natsUrl) {
      const syncInterval = process.env.FLOWGATE_DEV_NATS_SYNC_INTERVAL || undefined;
      const nats = await startNats(join(DATA, 'nats'), { syncInterval, ownProcessGroup: true });
      servers.push(nats);
      natsUrl = nats.url;
    }
    if (!mongoUrl) {
      const ferret = await startFerretDb(join(DATA, 'ferretdb'), { ownProcessGroup: true });
      servers.push(ferret);
      mongoUrl = `${ferret.url}/flowgate`;
    }
    stopEcho = await startEcho();

    const env = (service: Service): NodeJS.ProcessEnv => ({
      ...process.env,
      NATS_URL: natsUrl,
      MONGO_URL: mongoUrl,
      FLOWGATE_BIND_ADDRESS: BIND,
      FLOWGATE_OPS_PORT: String(OPS_PORTS[service]),
      FLOWGATE_HTTP_PORT: String(HTTP_PORT),
      ...(service === 'execution' || service === 'scheduler' ? { FLOWGATE_GRPC_PORT: String(GRPC_PORTS[service]) } : {}),
      FLOWGATE_EXECUTION_GRPC_URL: `${HOST}:${GRPC_PORTS.execution}`,
      FLOWGATE_SCHEDULER_GRPC_URL: `${HOST}:${GRPC_PORTS.scheduler}`,
      FLOWGATE_PUBLIC_URL: process.env.FLOWGATE_PUBLIC_URL ?? `http://${HOST}:${HTTP_PORT}`,
      FLOWGATE_BOOTSTRAP_API_KEY: secrets.apiKey,
      FLOWGATE_ENCRYPTION_KEY: process.env.FLOWGATE_ENCRYPTION_KEY ?? secrets.encryptionKey,
      FLOWGATE_CALLBACK_SIGNING_SECRET: process.env.FLOWGATE_CALLBACK_SIGNING_SECRET ?? secrets.signingSecret,
      // The sample's echo endpoint is on loopback, which the SSRF guard refuses unless allow-listed.
      FLOWGATE_EGRESS_ALLOW_CIDRS: process.env.FLOWGATE_EGRESS_ALLOW_CIDRS ?? '127.0.0.0/8,::1/128',
    });
    for (const service of SERVICES) {
      const log = createWriteStream(join(DATA, 'logs', `${service}.log`), { flags: 'a' });
      // A process group of its own: Ctrl-C reaches this script only, which stops the services
      // first (SIGTERM, each finishes its work), then NATS and FerretDB.
      const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, join(DIST, `${service}.js`)], {
        env: env(service),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      child.once('exit', (code) => {
        if (!stopping) {
          process.stderr.write(`${service} exited with code ${code}; see ${logs}/${service}.log\n`);
          void stopAll(1);
        }
      });
      children.set(service, child);
    }
    for (const service of SERVICES) await waitReady(service);
    await waitForPort(HTTP_PORT, 10_000);

    const base = process.env.FLOWGATE_PUBLIC_URL ?? `http://${HOST}:${HTTP_PORT}`;
    const signingSecret = process.env.FLOWGATE_CALLBACK_SIGNING_SECRET ?? secrets.signingSecret;
    const create = `curl -s -X POST '${base}/v1/workflows?publish=true' -H 'Authorization: Bearer ${secrets.apiKey}' -H 'Content-Type: application/json' --data @examples/hello.json`;
    // The production webhook's sync URL from the JSON answer (node is there: it runs this script).
    const extract = `node -e "let s='';process.stdin.on('data',(d)=>s+=d).on('end',()=>console.log(JSON.parse(s).triggers.production.sync))"`;
    const backends = [
      natsUrl === process.env.NATS_URL ? 'your NATS' : 'embedded NATS',
      mongoUrl === process.env.MONGO_URL ? 'your MongoDB' : 'embedded FerretDB',
    ];
    const reach = BIND === '0.0.0.0' || BIND === '::' ? 'every interface' : `${BIND} only`;
    process.stdout.write(
      [
        '',
        `Flowgate is running (${backends.join(' + ')}; data in ${data}/, logs in ${logs}/; listening on ${reach}).`,
        '',
        `  API             : ${base}/v1   (OpenAPI: ${base}/openapi.json)`,
        `  Console         : ${base}/console`,
        `  API key         : ${secrets.apiKey}`,
        `  Callback secret : ${signingSecret}`,
        '                    (verifies the signed callbacks until the workspace rotates its own: POST /v1/callback-secret/rotate)',
        '',
        'Create, publish and fire the sample workflow (examples/hello.json), from the repository folder:',
        '',
        `  SYNC=$(${create} | ${extract}) && curl -s -X POST "$SYNC" -H 'Content-Type: application/json' -d '{"name":"Ada"}'; echo`,
        '',
        'Press Ctrl-C to stop everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    process.stderr.write(`pnpm dev failed: ${(err as Error).message}\n`);
    await stopAll(1);
  }
}

async function waitReady(service: Service): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${HOST}:${OPS_PORTS[service]}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service} did not become ready within 60 s; see its log in ${join(DATA, 'logs')}`);
}

void main();
