import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { parse } from 'yaml';
import { freePort, ROOT } from '../../scripts/local-servers';
import { Receiver } from '../support/receiver';
import { ALL_SERVICES, request, sleep, Stack } from '../support/stack';

/**
 * The chart's dashboards and alerts against the real thing: the four services, a real Prometheus
 * (Debian's package, scripts/prometheus.sh) scraping their ops ports every second with the chart's
 * rule file loaded, and traffic of every kind the panels show (async and sync webhooks, failing
 * executions, a delay timer, a max_concurrent_executions wait, a crashed executor's redelivery,
 * poison messages, callbacks that succeed, retry and are given up). Then every dashboard query and
 * every alert expression is evaluated through Prometheus' HTTP API: each parses, each dashboard query
 * returns data, and none names a metric the services do not export.
 */
const CHART = join(ROOT, 'helm', 'flowgate');
const RULES = join(CHART, 'rules', 'flowgate-alerts.yaml');
/** Grafana's $__rate_interval for these queries: the whole test fits in it. */
const RATE_INTERVAL = '2m';
/** The workspace of the second tenant (the stack's own key is the default workspace's). */
const TENANT = 'obs-tenant';

interface Query {
  source: string;
  expr: string;
}

function dashboardQueries(): Query[] {
  const queries: Query[] = [];
  for (const file of readdirSync(join(CHART, 'dashboards')).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards', file), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels)
      for (const target of panel.targets) queries.push({ source: `${file} / ${panel.title}`, expr: target.expr });
  }
  return queries;
}

/** What Grafana substitutes: every namespace, and the rate interval. */
const grafanaExpr = (expr: string) => expr.replaceAll('$namespace', '.*').replaceAll('$__rate_interval', RATE_INTERVAL);

function alertQueries(): Query[] {
  const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ source: r.alert ?? r.record ?? '?', expr: r.expr })));
}

const metricNames = (expr: string) => [...new Set(expr.match(/\bflowgate_[a-z0-9_]+/g) ?? [])];

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}
type Sample = { metric: Record<string, string>; value: [number, string] };

class Prometheus {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exit: Promise<number | null>,
    readonly url: string,
    private readonly dir: string,
    readonly output: string[],
  ) {}

  static async start(targets: string[]): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-prometheus-'));
    const port = await freePort();
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: [{ job_name: 'flowgate', static_configs: [{ targets }] }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const binary = process.env.PROMETHEUS_BIN ?? 'prometheus';
    const child = spawn(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const prometheus = new Prometheus(child, exit, `http://127.0.0.1:${port}`, dir, output);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const failed = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
      if (failed) throw new Error(`cannot run ${binary} (${failed.message}): install it with bash scripts/prometheus.sh`);
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output.join('')}`);
      const ready = await fetch(`${prometheus.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return prometheus;
    }
    throw new Error(`prometheus not ready after 30 s:\n${output.join('')}`);
  }

  async api<T>(path: string, params: Record<string, string> = {}): Promise<PromResponse<T>> {
    const res = await request<PromResponse<T>>(`${this.url}${path}?${new URLSearchParams(params).toString()}`);
    if (typeof res.body !== 'object' || res.body === null) throw new Error(`prometheus ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  query(expr: string): Promise<PromResponse<{ resultType: string; result: Sample[] }>> {
    return this.api('/api/v1/query', { query: expr, time: String(Date.now() / 1000) });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await this.exit;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('observability: dashboards and alerts against the running services', () => {
  let stack: Stack;
  let prometheus: Prometheus;
  let downstream: Receiver;
  let callbacks: Receiver;
  let helmTestRun: { code: number | null; output: string };
  const exported = new Map<string, string>();

  beforeAll(async () => {
    let hangs = 0;
    downstream = await new Receiver((req) => {
      if (req.path.startsWith('/slow')) return { status: 200, body: { ok: true }, delayMs: 1_500 };
      // the first call hangs until the executor running it is killed; the redelivered one answers
      if (req.path.startsWith('/hang'))
        return hangs++ === 0 ? { status: 200, body: { ok: true }, delayMs: 60_000 } : { status: 200, body: { ok: true } };
      return { status: 200, body: { ok: true, customer_id: 'c-1' } };
    }).start();
    callbacks = await new Receiver((req) =>
      req.path === '/flaky' ? { status: 500, body: { error: 'down' } } : { status: 200, body: {} },
    ).start();
    // Loopback destinations for http steps and callbacks (the egress guard refuses them otherwise);
    // a short ack wait so the crashed executor's command comes back quickly.
    const loopback = { FLOWGATE_EGRESS_ALLOW_CIDRS: '127.0.0.0/8' };
    stack = await Stack.start('observability', {
      // Retention sweeps every second, so its panels have data too.
      env: {
        execution: { ...loopback, FLOWGATE_ACK_WAIT_MS: '5000' },
        callback: loopback,
        scheduler: { FLOWGATE_RETENTION_SWEEP_MS: '1000' },
      },
    });
    prometheus = await Prometheus.start(ALL_SERVICES.map((s) => new URL(stack.opsUrl(s)).host));
    await until('prometheus to scrape all four services', async () => {
      const up = await prometheus.query('sum(up)');
      return up.data.result[0]?.value[1] === '4' ? true : undefined;
    });

    const [hello, failing, delayed, limited, rateLimited, crashy] = await Promise.all([
      stack.deploy({
        name: 'obs-hello',
        on_success_url: callbacks.url('/ok'),
        steps: [
          { id: 'shape', type: 'transform', expression: '{"order": trigger.body.order}' },
          {
            id: 'notify',
            type: 'http',
            request: { method: 'POST', url: downstream.url('/orders'), body: { order: '{{steps.shape.output.order}}' } },
          },
        ],
      }),
      stack.deploy({
        name: 'obs-failing',
        on_failure_url: callbacks.url('/flaky'),
        steps: [{ id: 'boom', type: 'fail', message: 'no stock' }],
      }),
      stack.deploy({
        name: 'obs-delayed',
        steps: [
          { id: 'wait', type: 'delay', duration_s: 1 },
          { id: 'done', type: 'transform', expression: '"done"' },
        ],
      }),
      stack.deploy({
        name: 'obs-limited',
        max_concurrent_executions: 1,
        steps: [{ id: 'slow', type: 'http', request: { method: 'GET', url: downstream.url('/slow') } }],
      }),
      stack.deploy({
        name: 'obs-limited-rate',
        trigger: { webhook: { rate_limit: { per_second: 0.1, burst: 1 } } },
        steps: [{ id: 'ok', type: 'transform', expression: '1' }],
      }),
      stack.deploy({
        name: 'obs-crashy',
        steps: [{ id: 'hang', type: 'http', request: { method: 'GET', url: downstream.url('/hang') } }],
      }),
    ]);
    // A second tenant whose day quota (1) is used up in the first round: quota refusals by workspace.
    const tenantKey = await stack.apiKeyForWorkspace(TENANT);
    const asTenant = { authorization: `Bearer ${tenantKey}` };
    // The operator sets the tenant's limits.
    expect((await stack.api('PATCH', `/v1/workspaces/${TENANT}`, { quotas: { executions_per_day: 1 } })).status).toBe(200);
    const tenantCreated = await stack.api(
      'POST',
      '/v1/workflows?publish=true',
      { name: 'obs-tenant', steps: [{ id: 'ok', type: 'transform', expression: '1' }] },
      asTenant,
    );
    expect(tenantCreated.status).toBe(201);
    const tenantHook = String(tenantCreated.body.triggers.production.async);
    const fire = async (url: string, body: unknown = {}) => {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return res.body as { execution_id: string };
    };

    // Webhooks of every kind: async, sync, failing, delayed (a scheduler timer), two behind a
    // concurrency limit of one, unknown tokens (rejected). In two rounds, as real traffic keeps coming:
    // a histogram observed only before its first scrape has no rate, so no quantile.
    const round = async (n: number) => {
      const started = await Promise.all([
        ...Array.from({ length: 3 }, (_, i) => fire(hello.async, { order: `A-${n}-${i}` })),
        fire(failing.async),
        fire(delayed.async),
        fire(limited.async),
        fire(limited.async),
      ]);
      const sync = await request(hello.sync, { method: 'POST', body: JSON.stringify({ order: `S-${n}` }) });
      expect(sync.status).toBe(200);
      // a trigger limited to one webhook per 10 s: the second answers 429
      const limitedRate = [await request(rateLimited.async, { method: 'POST' }), await request(rateLimited.async, { method: 'POST' })];
      expect(limitedRate.map((r) => r.status)).toContain(429);
      for (let i = 0; i < 2; i++)
        expect((await request(`${stack.ingressUrl}/hooks/wh_doesnotexist${n}${i}000000000000`, { method: 'POST' })).status).toBe(404);
      const tenant = [await request(tenantHook, { method: 'POST' }), await request(tenantHook, { method: 'POST' })];
      expect(tenant.map((r) => r.status)).toEqual(n === 1 ? [202, 429] : [429, 429]);
      for (const { execution_id } of started) await stack.waitForExecution(execution_id);
    };
    await round(1);

    // The helm test script of the chart, against these services (as the test Pod runs it).
    helmTestRun = await new Promise((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', readFileSync(join(CHART, 'files', 'helm-test.mjs'), 'utf8')], {
        env: {
          PATH: process.env.PATH ?? '',
          FLOWGATE_URL: stack.ingressUrl,
          FLOWGATE_API_KEY: stack.apiKey,
          FLOWGATE_TEST_TIMEOUT_S: '30',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: string[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => out.push(c.toString('utf8')));
      child.once('exit', (code) => resolve({ code, output: out.join('') }));
    });

    // A crashed executor: its command is redelivered (after the 5 s ack wait) to the restarted one.
    const crash = await fire(crashy.async);
    await until('the hanging step to be in flight', () => Promise.resolve(hangs > 0 ? true : undefined));
    await stack.stopService('execution', 'SIGKILL');
    await stack.startService('execution');
    const recovered = await stack.waitForExecution(crash.execution_id, undefined, 30_000);
    expect(recovered.status).toBe('succeeded');

    // Poison messages (after the restart: a dead letter counted by a process that then dies is gone
    // with its series): a malformed command (execution) and a schema-invalid event (callback).
    const nc = await connect({ servers: stack.natsUrl });
    try {
      const js = jetstream(nc);
      await js.publish(`${stack.prefix}.cmd.start.default`, '{not json', { msgID: randomUUID() });
      await js.publish(`${stack.prefix}.evt.execution.default.failed`, JSON.stringify({ not: 'an event' }), { msgID: randomUUID() });
    } finally {
      await nc.close();
    }

    await round(2);

    // Callbacks: successes, and the failing executions' ones retried then given up (schedule 0,1,1).
    await until('the failure callbacks to be given up', () =>
      Promise.resolve(callbacks.requests.filter((r) => r.path === '/flaky').length >= 6 ? true : undefined),
    );

    for (const service of ALL_SERVICES) {
      const text = (await request(`${stack.opsUrl(service)}/metrics`)).text;
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exported.set(name as string, type as string);
    }
    // a few more scrapes after the last of the traffic
    await sleep(3_000);
  }, 150_000); // ~35 s on an idle machine

  afterAll(async () => {
    await prometheus?.stop();
    await stack?.stop();
    await downstream?.stop();
    await callbacks?.stop();
  });

  it('runs the chart helm test script successfully', () => {
    expect([helmTestRun.code, helmTestRun.output]).toEqual([0, expect.stringContaining('execution succeeded')]);
  });

  it('names only metrics the services export, with the namespace filter on every selector', () => {
    expect(exported.size).toBeGreaterThan(40);
    const known = (name: string) => {
      if (exported.has(name)) return true;
      const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
      return histogram !== null && exported.get(histogram[1] as string) === 'histogram';
    };
    const unknown: string[] = [];
    for (const q of [...dashboardQueries(), ...alertQueries()])
      for (const name of metricNames(q.expr)) if (!known(name)) unknown.push(`${q.source}: ${name}`);
    expect(unknown).toEqual([]);

    const unfiltered: string[] = [];
    for (const q of dashboardQueries())
      for (const m of q.expr.matchAll(/\b(flowgate_[a-z0-9_]+)(\{[^}]*\})?/g))
        if (!m[2]?.includes('namespace=~"$namespace"')) unfiltered.push(`${q.source}: ${m[0]}`);
    expect(unfiltered).toEqual([]);
  });

  it('gets data for every dashboard query', async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const q of queries) {
      const res = await prometheus.query(grafanaExpr(q.expr));
      if (res.status !== 'success') {
        problems.push(`${q.source}: ${res.errorType}: ${res.error} in ${q.expr}`);
        continue;
      }
      const finite = res.data.result.filter((s) => Number.isFinite(Number(s.value[1])));
      if (finite.length === 0) problems.push(`${q.source}: no data (${JSON.stringify(res.data.result)}) for ${grafanaExpr(q.expr)}`);
    }
    expect(problems).toEqual([]);
  });

  it('labels the per-tenant counters with workspace_id: each workspace its own, an unknown token _none', async () => {
    const series = async (expr: string) =>
      (await prometheus.query(expr)).data.result
        .map((r): Record<string, string | number> => ({ ...r.metric, value: Number(r.value[1]) }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    // The executor was killed and restarted meanwhile: its counters started over, so these ask which
    // workspaces any of its series named.
    const workspacesOf = async (metric: string) =>
      (await series(`count by (workspace_id) (max_over_time(${metric}[5m]))`)).map((s) => s.workspace_id);
    expect(await series('sum by (workspace_id) (flowgate_webhooks_accepted_total)')).toEqual([
      { workspace_id: 'default', value: expect.any(Number) },
      { workspace_id: TENANT, value: 1 },
    ]);
    expect(await series('sum by (workspace_id, reason) (flowgate_webhooks_rejected_total{reason=~"unknown_token|quota"})')).toEqual([
      { reason: 'quota', workspace_id: TENANT, value: 3 },
      { reason: 'unknown_token', workspace_id: '_none', value: 4 },
    ]);
    expect(await series('sum by (workspace_id, quota) (flowgate_quota_refusals_total)')).toEqual([
      { workspace_id: TENANT, quota: 'executions_per_day', value: 3 },
    ]);
    expect(await workspacesOf('flowgate_executions_started_total')).toEqual(['default', TENANT]);
    expect(await workspacesOf('flowgate_executions_finished_total{status="failed"}')).toEqual(['default']);
    expect(await workspacesOf('flowgate_callback_attempts_total{outcome="succeeded"}')).toEqual(['default']);
  });

  it('evaluates every alert expression, and Prometheus runs every rule of the file without error', async () => {
    const alerts = alertQueries();
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const q of alerts) {
      const res = await prometheus.query(q.expr);
      expect([q.source, res.status, res.error]).toEqual([q.source, 'success', undefined]);
    }
    const rules = await prometheus.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(alerts.map((a) => a.source).sort());
    for (const rule of loaded) expect([rule.name, rule.health, rule.lastError ?? '']).toEqual([rule.name, 'ok', '']);
  });

  it('fires the dead-letter and given-up-callback alerts, and no other', async () => {
    const firing = await until('the alerts to fire', async () => {
      const res = await prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
      const now = res.data.alerts.filter((a) => a.state === 'firing');
      const names = new Set(now.map((a) => a.labels.alertname));
      return names.has('FlowgateDeadLetters') && names.has('FlowgateCallbacksGivenUp') ? now : undefined;
    });
    expect([...new Set(firing.map((a) => a.labels.alertname))].sort()).toEqual(['FlowgateCallbacksGivenUp', 'FlowgateDeadLetters']);
    const deadLetters = firing
      .filter((a) => a.labels.alertname === 'FlowgateDeadLetters')
      .map((a) => `${a.labels.consumer}:${a.labels.reason}`);
    expect(deadLetters.sort()).toEqual(['callback:invalid_message', 'execution:malformed_json']);
  });
});
