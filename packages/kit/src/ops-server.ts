import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

/**
 * The ops port: `/metrics`, `/livez` (the process runs) and `/readyz` (every dependency answers and
 * the service is not shutting down).
 */
export type ReadinessCheck = () => Promise<boolean>;

export interface OpsServer {
  server: Server;
  port: number;
  setShuttingDown(): void;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 1_500;

async function runCheck(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startOpsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  logger: Logger;
}): Promise<OpsServer> {
  let shuttingDown = false;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: { code: 'method_not_allowed', message: 'GET only' } }));
    if (path === '/livez') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      void (async () => {
        const names = Object.keys(opts.checks);
        const results = await Promise.all(names.map((n) => runCheck(opts.checks[n] as ReadinessCheck)));
        const checks = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'ok' : 'unavailable']));
        const ready = !shuttingDown && results.every(Boolean);
        send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : shuttingDown ? 'shutting_down' : 'not_ready', checks }));
      })();
      return;
    }
    if (path === '/metrics') {
      opts.registry
        .metrics()
        .then((text) => send(200, text, opts.registry.contentType))
        .catch((err: unknown) => {
          opts.logger.error({ err }, 'metrics collection failed');
          send(500, JSON.stringify({ error: { code: 'internal', message: 'metrics unavailable' } }));
        });
      return;
    }
    send(404, JSON.stringify({ error: { code: 'not_found', message: 'not found' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    server,
    port,
    setShuttingDown: () => {
      shuttingDown = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
