import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, startFerretDb, type LocalServer } from '../../scripts/local-servers';
import { Receiver } from '../support/receiver';
import { ALL_SERVICES, request, sleep, Stack } from '../support/stack';

/** What an operator relies on: ops endpoints, readiness, graceful shutdown, logs, traces, config errors. */
describe('operations', () => {
  let stack: Stack;
  let ferret: LocalServer;
  let ferretDir: string;
  let downstream: Receiver;

  beforeAll(async () => {
    ferretDir = mkdtempSync(join(tmpdir(), 'flowgate-ops-ferret-'));
    ferret = await startFerretDb(ferretDir);
    downstream = await new Receiver((req) => ({ status: 200, body: { ok: true }, delayMs: req.path === '/slow' ? 1_500 : 0 })).start();
    stack = await Stack.start('operations', { mongoUrl: ferret.url });
  });

  afterAll(async () => {
    await stack?.stop();
    await ferret?.stop();
    await downstream?.stop();
  });

  it('serves /livez, /readyz and prom-client /metrics with RED and Node runtime metrics on every service', async () => {
    for (const service of ALL_SERVICES) {
      const live = await request(`${stack.opsUrl(service)}/livez`);
      expect(live.status).toBe(200);
      const ready = await request(`${stack.opsUrl(service)}/readyz`);
      expect(ready.body).toEqual({ status: 'ready', checks: { started: 'ok', nats: 'ok', mongodb: 'ok' } });
      const metrics = await request(`${stack.opsUrl(service)}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('flowgate_nodejs_eventloop_lag_seconds');
      expect(metrics.text).toContain(`service="${service}"`);
    }
    const wf = await stack.deploy({ name: 'metrics', steps: [{ id: 't', type: 'transform', expression: '1' }] });
    const res = await request(wf.async, { method: 'POST' });
    await stack.waitForExecution(res.body.execution_id);
    const ingress = (await request(`${stack.opsUrl('ingress')}/metrics`)).text;
    expect(ingress).toMatch(/flowgate_http_server_request_duration_seconds_count\{[^}]*route="\/hooks\/:token"[^}]*status_code="202"/);
    expect(ingress).toMatch(/flowgate_webhooks_accepted_total\{mode="async"[^}]*\} [1-9]/);
    const execution = (await request(`${stack.opsUrl('execution')}/metrics`)).text;
    expect(execution).toMatch(/flowgate_consumer_message_duration_seconds_count\{[^}]*consumer="execution"[^}]*outcome="ack"/);
    expect(execution).toMatch(/flowgate_grpc_server_handling_seconds_count\{[^}]*method="GetExecution"[^}]*code="OK"/);
    expect(execution).toMatch(/flowgate_executions_finished_total\{[^}]*status="succeeded"/);
  });

  it('writes JSON logs that carry the execution id and the trace id propagated through NATS to outbound HTTP', async () => {
    const wf = await stack.deploy({
      name: 'traced',
      steps: [{ id: 'call', type: 'http', request: { method: 'GET', url: downstream.url('/traced') } }],
    });
    const res = await request(wf.async, { method: 'POST' });
    await stack.waitForExecution(res.body.execution_id);
    const parse = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Logs leave in chunks, at most 200 ms after the line (kit logger.ts).
    const acceptedLine = () =>
      parse(stack.logs('ingress')).find((l) => l.execution_id === res.body.execution_id && l.msg === 'webhook accepted');
    const finishedLine = () =>
      parse(stack.logs('execution')).find((l) => l.execution_id === res.body.execution_id && l.msg === 'execution finished');
    for (let i = 0; i < 50 && !(acceptedLine() && finishedLine()); i++) await sleep(100);
    const accepted = acceptedLine();
    const finished = finishedLine();
    expect(accepted?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(finished?.trace_id).toBe(accepted?.trace_id);
    const call = downstream.requests.find((r) => r.path === '/traced');
    expect(String(call?.headers.traceparent).split('-')[1]).toBe(accepted?.trace_id);
    expect(stack.logs('ingress')).not.toContain(stack.apiKey);
  });

  it('reports not ready while MongoDB is down and ready again once it is back', async () => {
    await ferret.stop();
    const deadline = Date.now() + 20_000;
    let states: unknown[] = [];
    while (Date.now() < deadline) {
      states = await Promise.all(ALL_SERVICES.map(async (s) => (await request(`${stack.opsUrl(s)}/readyz`)).body));
      if (states.every((b) => (b as { status: string }).status === 'not_ready')) break;
      await sleep(200);
    }
    for (const body of states) expect(body).toEqual({ status: 'not_ready', checks: { started: 'ok', nats: 'ok', mongodb: 'unavailable' } });
    ferret = await startFerretDb(ferretDir, { port: ferret.port });
    const back = Date.now() + 30_000;
    let ready = false;
    while (!ready && Date.now() < back) {
      const codes = await Promise.all(ALL_SERVICES.map(async (s) => (await request(`${stack.opsUrl(s)}/readyz`)).status));
      ready = codes.every((c) => c === 200);
      if (!ready) await sleep(250);
    }
    expect(ready).toBe(true);
  });

  it('on SIGTERM finishes the in-flight execution, then exits 0', async () => {
    const wf = await stack.deploy({
      name: 'slow',
      steps: [{ id: 'slow', type: 'http', request: { method: 'GET', url: downstream.url('/slow') } }],
    });
    const res = await request(wf.async, { method: 'POST' });
    await stack.waitForExecution(res.body.execution_id, (e) => e.status === 'running');
    const code = await stack.stopService('execution', 'SIGTERM');
    expect(code).toBe(0);
    const db = await stack.db();
    const stored = await db.collection('executions').findOne({ _id: res.body.execution_id } as never);
    expect(stored?.status).toBe('succeeded');
    await stack.startService('execution');
  });

  it('answers a sync webhook with 202 and the execution id when the execution service is down, and runs it later', async () => {
    const wf = await stack.deploy({ name: 'sync-while-down', steps: [{ id: 't', type: 'transform', expression: '"done"' }] });
    expect(await stack.stopService('execution', 'SIGTERM')).toBe(0);
    const res = await request(wf.sync, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ execution_id: expect.any(String), status: 'queued' });
    await stack.startService('execution');
    expect((await stack.waitForExecution(res.body.execution_id)).final_output).toBe('done');
  });

  it('refuses to start with invalid configuration and names the variable', () => {
    const result = spawnSync(process.execPath, [join(DIST, 'ingress.js')], {
      env: { PATH: process.env.PATH, FLOWGATE_HTTP_PORT: 'eighty', FLOWGATE_ENCRYPTION_KEY: 'short' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('FLOWGATE_HTTP_PORT');
    expect(result.stderr).toContain('FLOWGATE_ENCRYPTION_KEY');
    expect(result.stderr).not.toContain('short');
  });
});
