import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** A local HTTP server that records every request and answers with what the test sets. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (req: Received) => { status?: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

export class Receiver {
  readonly requests: Received[] = [];
  private server: Server | undefined;
  private readonly delayed = new Set<NodeJS.Timeout>();
  port = 0;

  constructor(private responder: Responder = () => ({ status: 200, body: { ok: true } })) {}

  respond(responder: Responder): void {
    this.responder = responder;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.requests.push(received);
        const answer = this.responder(received);
        const send = () => {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
          res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null));
        };
        if (!answer.delayMs) return send();
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          send();
        }, answer.delayMs);
        this.delayed.add(timer);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async waitFor(count: number, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (this.requests.length < count) throw new Error(`expected ${count} requests, got ${this.requests.length}`);
    return this.requests;
  }

  async stop(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
