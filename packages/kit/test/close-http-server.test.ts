import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeHttpServer } from '../src/shutdown';

/**
 * closeHttpServer against a real server and a keep-alive client (a balancer's pooled connections):
 * `server.close()` alone waits for idle keep-alive connections until they time out; this closes each
 * one once its request is answered and lets the request in flight finish.
 */
describe('closeHttpServer', () => {
  let server: Server;
  let agent: Agent;
  let port: number;
  const releases: (() => void)[] = [];

  beforeEach(async () => {
    server = createServer((req, res) => {
      const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`answered ${req.url}`);
      if (req.url === '/slow') releases.push(answer);
      else answer();
    });
    // Longer than the test: only closeHttpServer can end these connections in time.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 4 });
  });

  afterEach(() => {
    agent.destroy();
    server.closeAllConnections();
  });

  const get = (path: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers the request in flight, closes idle keep-alive connections, and resolves once none is left', async () => {
    expect((await get('/warm-1')).headers.connection).toBe('keep-alive');
    const slow = get('/slow');
    while (releases.length === 0) await new Promise((r) => setTimeout(r, 10));
    let closed = false;
    const closing = closeHttpServer(server, 20).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    // the slow request still holds its connection: not closed yet
    expect(closed).toBe(false);
    releases.shift()?.();
    const answer = await slow;
    expect(answer).toMatchObject({ status: 200, body: 'answered /slow' });
    const t0 = Date.now();
    await closing;
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('closes idle pooled connections at once', async () => {
    await Promise.all([get('/warm-1'), get('/warm-2'), get('/warm-3')]);
    const t0 = Date.now();
    await closeHttpServer(server, 20);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(server.listening).toBe(false);
  });
});
