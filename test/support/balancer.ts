import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as tcpConnect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

/**
 * Load balancers of the rolling-restart test, standing in for Kubernetes endpoints: a backend gets
 * traffic only while its /readyz answers 200, probed every `probeMs` like a readiness probe with
 * failureThreshold 3 and timeoutSeconds 2: the third failed probe in a row (not 200, timed out,
 * refused) takes it out, the first 200 brings it back. Every change is recorded (`transitions`). They hide nothing: no retries, an upstream error is a
 * 502 to the client (HttpBalancer) or a reset connection (TcpBalancer), no ready backend is a 503.
 */
interface Backend {
  name: string;
  host: string;
  port: number;
  readyz: string;
  ready: boolean;
  failedProbes: number;
  probing: boolean;
}

const FAILURE_THRESHOLD = 3;

abstract class ReadyBackends {
  protected readonly backends = new Map<string, Backend>();
  private probes: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(private readonly probeMs: number) {}

  /** Adds a backend (`hostPort` "127.0.0.1:1234"); it takes traffic from its first 200 on `readyz`. */
  async add(name: string, hostPort: string, readyz: string): Promise<void> {
    const [host, port] = hostPort.split(':');
    const backend: Backend = { name, host: host ?? '127.0.0.1', port: Number(port), readyz, ready: false, failedProbes: 0, probing: false };
    this.backends.set(name, backend);
    await this.probe(backend);
  }

  remove(name: string): void {
    this.backends.delete(name);
  }

  /** When a backend went in or out of rotation, and the probe answer that did it. */
  readonly transitions: string[] = [];

  private failed(backend: Backend, why: string): void {
    backend.failedProbes++;
    if (backend.failedProbes >= FAILURE_THRESHOLD) this.mark(backend, false, why);
  }

  private mark(backend: Backend, ready: boolean, why: string): void {
    if (ready) backend.failedProbes = 0;
    if (backend.ready !== ready)
      this.transitions.push(`${new Date().toISOString()} ${backend.name} ${ready ? 'in' : 'out'}: ${why.slice(0, 200)}`);
    backend.ready = ready;
  }

  /** Names of the backends currently taking traffic. */
  readyNames(): string[] {
    return [...this.backends.values()].filter((b) => b.ready).map((b) => b.name);
  }

  protected startProbing(): void {
    this.probes = setInterval(() => {
      for (const backend of this.backends.values()) void this.probe(backend);
    }, this.probeMs);
  }

  protected stopProbing(): void {
    clearInterval(this.probes);
  }

  /** Round robin over the ready backends; undefined when none is. */
  protected pick(): Backend | undefined {
    const ready = [...this.backends.values()].filter((b) => b.ready);
    if (ready.length === 0) return undefined;
    return ready[this.next++ % ready.length];
  }

  private async probe(backend: Backend): Promise<void> {
    if (backend.probing) return;
    backend.probing = true;
    try {
      const res = await fetch(backend.readyz, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.status === 200) this.mark(backend, true, body);
      else this.failed(backend, `${res.status} ${body}`);
    } catch (err) {
      this.failed(backend, err instanceof Error ? err.message : String(err));
    } finally {
      backend.probing = false;
    }
  }
}

/** An HTTP reverse proxy (an ingress controller): each request to one ready backend, keep-alive upstream. */
export class HttpBalancer extends ReadyBackends {
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true });
  /** Every answer the balancer made up itself (no backend, or the backend failed): the test asserts it is empty. */
  readonly failures: string[] = [];
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.forward(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.startProbing();
    return this;
  }

  async stop(): Promise<void> {
    this.stopProbing();
    this.agent.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const backend = this.pick();
    if (!backend) {
      this.failures.push(`${req.method} ${req.url}: no ready backend`);
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no ready backend' }));
      return;
    }
    const upstream = httpRequest(
      { host: backend.host, port: backend.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', (err) => {
          this.failures.push(`${req.method} ${req.url} via ${backend.name}: response broke: ${err.message}`);
          res.destroy(err);
        });
      },
    );
    upstream.on('error', (err) => {
      this.failures.push(`${req.method} ${req.url} via ${backend.name}: ${err.message}`);
      if (!res.headersSent)
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message, backend: backend.name }));
      else res.destroy(err);
    });
    req.pipe(upstream);
  }
}

/** A TCP balancer (a ClusterIP Service in front of gRPC): each new connection to one ready backend. */
export class TcpBalancer extends ReadyBackends {
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();
  /** Connections it could not place or that broke with an error. */
  readonly failures: string[] = [];
  port = 0;

  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Binds first (the services need the address before their backends exist). */
  async start(): Promise<this> {
    this.server = createTcpServer((client) => this.forward(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.startProbing();
    return this;
  }

  async stop(): Promise<void> {
    this.stopProbing();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    const backend = this.pick();
    if (!backend) {
      this.failures.push('connection: no ready backend');
      client.destroy();
      return;
    }
    const upstream = tcpConnect(backend.port, backend.host);
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    const fail = (where: string) => (err: Error) => {
      this.failures.push(`${where} (${backend.name}): ${err.message}`);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', fail('upstream'));
    client.on('error', fail('client'));
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
