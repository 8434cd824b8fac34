import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequestPlan } from '@flowgate/core';
import { runHttpStep } from '../src/http-step';

/** One attempt of an http step against a real local server: its time bound and its cancellation. */
describe('runHttpStep', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        const t = setTimeout(() => res.end('late'), 5_000);
        req.on('close', () => clearTimeout(t));
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const plan = (path: string): HttpRequestPlan => ({ method: 'POST', url: `${base}${path}`, headers: {}, query: {}, body: { a: 1 } });
  /** A 60 s timeout: these attempts end by answering or being cancelled, never by it. */
  const patient = { timeoutMs: 60_000, maxResponseBytes: 1_000, idempotencyKey: 'x:s' };
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('answers with the output and leaves no timer behind once the step answered', async () => {
    const before = timers();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => runHttpStep('s', plan('/fast'), patient)));
    for (const o of outcomes) expect(o).toEqual({ ok: true, output: expect.objectContaining({ status: 200, body: { ok: true } }) });
    // The attempt's own timeout timer is cleared when it answers (else 20 would show here for 60 s).
    expect(timers()).toBeLessThanOrEqual(before + 1);
  });

  it('fails retryably with http_timeout when no answer comes within the timeout', async () => {
    const started = Date.now();
    const outcome = await runHttpStep('s', plan('/slow'), { timeoutMs: 150, maxResponseBytes: 1_000, idempotencyKey: 'x:s' });
    expect(outcome).toEqual({
      ok: false,
      error: { code: 'http_timeout', message: 'step "s": no answer within 150 ms', step_id: 's' },
      retryable: true,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops at once when the run is cancelled (its signal aborts), already or meanwhile', async () => {
    const meanwhile = new AbortController();
    setTimeout(() => meanwhile.abort(new Error('cancelled')), 50);
    const started = Date.now();
    const outcome = await runHttpStep('s', plan('/slow'), { ...patient, signal: meanwhile.signal });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'http_network_error' } });
    expect(Date.now() - started).toBeLessThan(2_000);

    const already = new AbortController();
    already.abort(new Error('cancelled'));
    const ended = await runHttpStep('s', plan('/slow'), { ...patient, signal: already.signal });
    expect(ended).toMatchObject({ ok: false, error: { code: 'http_network_error' } });
  });
});
