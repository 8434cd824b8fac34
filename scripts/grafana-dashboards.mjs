// Writes the chart's Grafana dashboards, helm/flowgate/dashboards/<name>.json, from the compact
// definitions below (one place for the layout, units, variables and the namespace filter), so every
// panel of every dashboard is built the same way. The chart ships them as ConfigMaps for the Grafana
// sidecar (templates/dashboards.yaml). Every expression queries only metrics the services export:
// test/e2e/observability.test.ts evaluates each one against a real Prometheus scraping the services
// and fails on a query that parses badly, returns nothing or names an unknown metric.
//   node scripts/grafana-dashboards.mjs          write the files
//   node scripts/grafana-dashboards.mjs --check  fail if a file differs from what would be written
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'helm', 'flowgate', 'dashboards');

/** Label matchers every query carries: the namespace variable (".*" for all). */
const NS = 'namespace=~"$namespace"';
const sel = (extra = '') => `{${NS}${extra ? `, ${extra}` : ''}}`;
const rate = (metric, extra = '') => `rate(${metric}${sel(extra)}[$__rate_interval])`;
const increase = (metric, extra = '') => `increase(${metric}${sel(extra)}[$__rate_interval])`;
const quantile = (q, metric, by, extra = '') =>
  `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${rate(`${metric}_bucket`, extra)}))`;
const percentiles = (metric, by, extra, legendPrefix = '') =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: quantile(q, metric, by, extra),
    legend: `${legendPrefix}p${q * 100}`,
  }));

const HTTP = 'flowgate_http_server_request_duration_seconds';
const HOOK_ASYNC = 'route="/hooks/:token"';
const HOOK_SYNC = 'route="/hooks/:token/sync"';
const STEP = 'flowgate_step_duration_seconds';
const CONSUMED = 'flowgate_consumer_message_duration_seconds';
const GRPC = 'flowgate_grpc_server_handling_seconds';

/** The workspaces dashboard shows the noisiest workspaces only. */
const TOP_K = 10;
/** What a workspace_id label value means (services/*: WorkspaceLabels in packages/kit). */
const WORKSPACE_BOUND =
  'workspace_id is bounded per replica: the first FLOWGATE_METRICS_MAX_WORKSPACES workspaces a replica sees get their own value, later ones _other, requests of no known workspace _none.';
/** The top TOP_K workspace_id series of a rate, summed over replicas (and grouped by `by` as well). */
const topWorkspaces = (expr, by = []) => ({
  expr: `topk(${TOP_K}, sum by (${['workspace_id', ...by].join(', ')}) (${expr}))`,
  legend: ['{{workspace_id}}', ...by.map((l) => `{{${l}}}`)].join(' '),
});

// Panels: { title, description, unit, targets: [{ expr, legend }], kind: 'timeseries' | 'stat', width }
const ts = (title, unit, targets, description, extra = {}) => ({ kind: 'timeseries', title, unit, targets, description, ...extra });
const stat = (title, unit, targets, description) => ({ kind: 'stat', title, unit, targets, description, width: 6, height: 4 });

const dashboards = {
  overview: {
    title: 'Flowgate / Overview',
    description: 'Webhooks in and out, executions by status, error rates and webhook latency.',
    panels: [
      stat('Webhooks accepted', 'reqps', [{ expr: `sum(${rate('flowgate_webhooks_accepted_total')})`, legend: 'accepted' }]),
      stat('Executions finished', 'ops', [{ expr: `sum(${rate('flowgate_executions_finished_total')})`, legend: 'finished' }]),
      stat(
        'Failed executions',
        'percentunit',
        [
          {
            expr: `1 - sum(${rate('flowgate_executions_finished_total', 'status!~"failed|timed_out"')}) / sum(${rate('flowgate_executions_finished_total')})`,
            legend: 'failed or timed out',
          },
        ],
        'Share of finished executions that failed or timed out.',
      ),
      stat(
        'Ingress 5xx',
        'percentunit',
        [{ expr: `1 - sum(${rate(`${HTTP}_count`, 'status_code!~"5.."')}) / sum(${rate(`${HTTP}_count`)})`, legend: '5xx' }],
        'Share of ingress HTTP responses that are server errors (503: NATS or MongoDB unavailable).',
      ),
      ts('Webhooks in', 'reqps', [
        { expr: `sum by (mode) (${rate('flowgate_webhooks_accepted_total')})`, legend: 'accepted {{mode}}' },
        { expr: `sum by (reason) (${rate('flowgate_webhooks_rejected_total')})`, legend: 'rejected {{reason}}' },
      ]),
      ts(
        'Webhooks out',
        'reqps',
        [
          { expr: `sum by (outcome) (${rate('flowgate_callback_attempts_total')})`, legend: 'callback {{outcome}}' },
          { expr: `sum by (outcome) (${rate(`${STEP}_count`, 'type="http"')})`, legend: 'http step {{outcome}}' },
        ],
        'Signed callbacks by outcome, and http step calls to downstream APIs.',
      ),
      ts('Executions by status', 'ops', [
        { expr: `sum(${rate('flowgate_executions_started_total')})`, legend: 'started' },
        { expr: `sum by (status) (${rate('flowgate_executions_finished_total')})`, legend: '{{status}}' },
      ]),
      ts('Error rate', 'percentunit', [
        {
          expr: `1 - sum(${rate('flowgate_executions_finished_total', 'status!~"failed|timed_out"')}) / sum(${rate('flowgate_executions_finished_total')})`,
          legend: 'executions failed or timed out',
        },
        { expr: `1 - sum(${rate(`${HTTP}_count`, 'status_code!~"5.."')}) / sum(${rate(`${HTTP}_count`)})`, legend: 'ingress 5xx' },
        {
          expr: `1 - sum(${rate('flowgate_callback_attempts_total', 'outcome="succeeded"')}) / sum(${rate('flowgate_callback_attempts_total')})`,
          legend: 'callback attempts failed',
        },
      ]),
      ts(
        'Async webhook latency',
        's',
        percentiles(HTTP, [], HOOK_ASYNC),
        'Time to accept an async webhook (until JetStream acknowledged it).',
      ),
      ts('Sync webhook latency', 's', percentiles(HTTP, [], HOOK_SYNC), 'Includes running the execution, up to its sync timeout.'),
      ts('Replicas reporting', 'short', [
        { expr: `count by (service) (flowgate_process_start_time_seconds${sel()})`, legend: '{{service}}' },
      ]),
    ],
  },

  ingress: {
    title: 'Flowgate / Ingress',
    description: 'Requests, errors and duration per route; webhooks accepted and rejected.',
    panels: [
      ts('Requests by route', 'reqps', [{ expr: `sum by (route) (${rate(`${HTTP}_count`)})`, legend: '{{route}}' }]),
      ts(
        'Errors by route and status',
        'reqps',
        [{ expr: `sum by (route, status_code) (${rate(`${HTTP}_count`, 'status_code=~"[45].."')})`, legend: '{{status_code}} {{route}}' }],
        'Responses with a 4xx or 5xx status.',
      ),
      ts('Duration p95 by route', 's', [{ expr: quantile(0.95, HTTP, ['route']), legend: '{{route}}' }]),
      ts('Duration p50 by route', 's', [{ expr: quantile(0.5, HTTP, ['route']), legend: '{{route}}' }]),
      ts('Webhooks accepted', 'reqps', [{ expr: `sum by (mode) (${rate('flowgate_webhooks_accepted_total')})`, legend: '{{mode}}' }]),
      ts(
        'Webhooks rejected by reason',
        'reqps',
        [{ expr: `sum by (reason) (${rate('flowgate_webhooks_rejected_total')})`, legend: '{{reason}}' }],
        'unknown_token, disabled, not_published, unknown_workflow, unknown_version, version_retired; publish_failed = 503 (JetStream did not acknowledge).',
      ),
      ts(
        'Rate-limited requests',
        'reqps',
        [{ expr: `sum by (route) (${rate(`${HTTP}_count`, 'status_code="429"')})`, legend: '{{route}}' }],
        'Webhooks answered 429 by a workspace or trigger rate limit (with Retry-After).',
      ),
      ts('Async webhook latency', 's', percentiles(HTTP, [], HOOK_ASYNC)),
      ts('Responses by status', 'reqps', [{ expr: `sum by (status_code) (${rate(`${HTTP}_count`)})`, legend: '{{status_code}}' }]),
    ],
  },

  execution: {
    title: 'Flowgate / Execution',
    description: 'Throughput, step latency, command consumer, redeliveries and dead letters, gRPC.',
    panels: [
      ts('Executions started and finished', 'ops', [
        { expr: `sum(${rate('flowgate_executions_started_total')})`, legend: 'started' },
        { expr: `sum by (status) (${rate('flowgate_executions_finished_total')})`, legend: '{{status}}' },
      ]),
      ts('Step attempts by type and outcome', 'ops', [
        { expr: `sum by (type, outcome) (${rate(`${STEP}_count`)})`, legend: '{{type}} {{outcome}}' },
      ]),
      ts('Step latency p95 by type', 's', [{ expr: quantile(0.95, STEP, ['type']), legend: '{{type}}' }]),
      ts('Step latency p50 by type', 's', [{ expr: quantile(0.5, STEP, ['type']), legend: '{{type}}' }]),
      ts(
        'Commands handled by outcome',
        'ops',
        [{ expr: `sum by (outcome) (${rate(`${CONSUMED}_count`, 'consumer="execution"')})`, legend: '{{outcome}}' }],
        'Messages of the command consumer: ack, nak (retry later), error (retried with backoff), dead_letter.',
      ),
      ts(
        'Command handling time',
        's',
        percentiles(CONSUMED, [], 'consumer="execution"'),
        'From delivery to ack: a start command is held for its whole run (until it ends or parks).',
      ),
      ts(
        'Executions waiting for a slot',
        'ops',
        [{ expr: `sum by (workspace_id) (${rate('flowgate_concurrency_slot_waits_total')})`, legend: '{{workspace_id}}' }],
        'Executions queued behind max_concurrent_executions, by workspace (per-workflow counts: GET /v1/executions?workflow_id=).',
      ),
      ts(
        'Redeliveries',
        'ops',
        [{ expr: `sum(${rate('flowgate_consumer_redeliveries_total', 'consumer="execution"')})`, legend: 'redelivered' }],
        'Commands delivered more than once: a replica crashed or was killed mid-execution, or handling failed.',
      ),
      ts(
        'Dead letters',
        'short',
        [{ expr: `sum by (reason) (${increase('flowgate_dead_letters_total', 'consumer="execution"')})`, legend: '{{reason}}' }],
        'Commands given up on (malformed, unknown workflow, max deliveries): see the dead_letters collection.',
      ),
      ts('gRPC calls by method and code', 'reqps', [
        { expr: `sum by (method, code) (${rate(`${GRPC}_count`, 'service="execution"')})`, legend: '{{method}} {{code}}' },
      ]),
      ts('gRPC unary latency p95', 's', [
        { expr: quantile(0.95, GRPC, ['method'], 'service="execution", method!="WatchExecution"'), legend: '{{method}}' },
      ]),
    ],
  },

  scheduler: {
    title: 'Flowgate / Scheduler',
    description: 'Timers fired and their lag, pending timers and the leader lease.',
    panels: [
      ts('Timers fired by kind', 'ops', [{ expr: `sum by (kind) (${rate('flowgate_timers_fired_total')})`, legend: '{{kind}}' }]),
      ts('Timer lag', 's', percentiles('flowgate_timer_fire_lag_seconds', [], ''), 'Delay between a timer being due and being fired.'),
      ts('Timer lag p99 by kind', 's', [{ expr: quantile(0.99, 'flowgate_timer_fire_lag_seconds', ['kind']), legend: '{{kind}}' }]),
      ts(
        'Pending timers',
        'short',
        [{ expr: `max(flowgate_timers_pending${sel()} and flowgate_scheduler_leader${sel()} == 1)`, legend: 'pending' }],
        'Timers stored and not fired yet, as the leader reports them.',
      ),
      ts(
        'Leader',
        'short',
        [{ expr: `max by (instance) (flowgate_scheduler_leader${sel()})`, legend: '{{instance}}' }],
        '1 for the replica holding the lease; exactly one should.',
        { min: 0, max: 1 },
      ),
      ts('Leader changes', 'short', [{ expr: `sum(${increase('flowgate_scheduler_leader_changes_total')})`, legend: 'changes' }]),
      ts('Retention: documents removed by kind', 'short', [
        { expr: `sum by (kind) (${increase('flowgate_retention_removed_total')})`, legend: '{{kind}}' },
      ]),
      ts('Retention sweep duration (mean over 1 h)', 's', [
        {
          expr: `sum(increase(flowgate_retention_sweep_duration_seconds_sum${sel()}[1h])) / sum(increase(flowgate_retention_sweep_duration_seconds_count${sel()}[1h]))`,
          legend: 'sweep',
        },
      ]),
    ],
  },

  callback: {
    title: 'Flowgate / Callback',
    description: 'Signed callback deliveries: attempts by outcome, retries, dead letters.',
    panels: [
      ts('Attempts by outcome', 'ops', [{ expr: `sum by (outcome) (${rate('flowgate_callback_attempts_total')})`, legend: '{{outcome}}' }]),
      ts('Attempts not delivered', 'percentunit', [
        {
          expr: `1 - sum(${rate('flowgate_callback_attempts_total', 'outcome="succeeded"')}) / sum(${rate('flowgate_callback_attempts_total')})`,
          legend: 'retried or given up',
        },
      ]),
      ts(
        'Retries',
        'ops',
        [{ expr: `sum(${rate('flowgate_callback_attempts_total', 'outcome="retry"')})`, legend: 'attempts to retry' }],
        'Failed attempts that will be tried again, per the retry schedule.',
      ),
      ts(
        'Dead letters',
        'short',
        [{ expr: `sum by (reason) (${increase('flowgate_dead_letters_total', 'consumer="callback"')})`, legend: '{{reason}}' }],
        'Events given up on: see the dead_letters collection.',
      ),
      ts('Events handled by outcome', 'ops', [
        { expr: `sum by (outcome) (${rate(`${CONSUMED}_count`, 'consumer="callback"')})`, legend: '{{outcome}}' },
      ]),
      ts('Delivery time', 's', percentiles(CONSUMED, [], 'consumer="callback"'), 'Event handling time, including the HTTP attempt.'),
    ],
  },

  workspaces: {
    title: 'Flowgate / Workspaces',
    description: `Which tenants are noisy: the top ${TOP_K} workspaces by webhooks, refusals, quota refusals, executions and callbacks. ${WORKSPACE_BOUND}`,
    panels: [
      stat(
        'Webhooks counted as _other',
        'percentunit',
        [
          {
            expr: `(sum(${rate('flowgate_webhooks_accepted_total', 'workspace_id="_other"')}) or vector(0)) / sum(${rate('flowgate_webhooks_accepted_total')})`,
            legend: '_other',
          },
        ],
        "Share of accepted webhooks from workspaces past a replica's FLOWGATE_METRICS_MAX_WORKSPACES bound (no label value of their own). Above 0: raise the bound, or find them in the logs (workspace_id).",
      ),
      stat(
        'Workspaces labelled',
        'short',
        [
          {
            expr: `count(count by (workspace_id) (flowgate_webhooks_accepted_total${sel('workspace_id!~"_other|_none"')}))`,
            legend: 'workspaces',
          },
        ],
        'Distinct workspace_id values on accepted webhooks (each replica labels at most FLOWGATE_METRICS_MAX_WORKSPACES of them).',
      ),
      ts(
        `Webhooks accepted: top ${TOP_K} workspaces`,
        'reqps',
        [topWorkspaces(rate('flowgate_webhooks_accepted_total'))],
        'Accepted webhooks (async, sync, fan-out) per workspace.',
      ),
      ts(
        `Webhooks rejected: top ${TOP_K} workspaces`,
        'reqps',
        [topWorkspaces(rate('flowgate_webhooks_rejected_total'), ['reason'])],
        'Refused webhooks per workspace and reason; _none: the token named no workspace (unknown_token).',
      ),
      ts(
        `Quota refusals: top ${TOP_K} workspaces`,
        'reqps',
        [topWorkspaces(rate('flowgate_quota_refusals_total'), ['quota'])],
        'Executions refused by a workspace quota (executions per day / month, parallel executions): webhooks, fan-outs, test runs, replays.',
      ),
      ts(
        `Executions started: top ${TOP_K} workspaces`,
        'ops',
        [topWorkspaces(rate('flowgate_executions_started_total'))],
        'Executions that started running per workspace.',
      ),
      ts(`Executions failed or timed out: top ${TOP_K} workspaces`, 'ops', [
        topWorkspaces(rate('flowgate_executions_finished_total', 'status=~"failed|timed_out"'), ['status']),
      ]),
      ts(
        `Callback attempts not delivered: top ${TOP_K} workspaces`,
        'ops',
        [topWorkspaces(rate('flowgate_callback_attempts_total', 'outcome!="succeeded"'), ['outcome'])],
        'Callback attempts that will be retried, were given up or interrupted, per workspace.',
      ),
    ],
  },

  runtime: {
    title: 'Flowgate / Runtime',
    description: 'Node.js runtime of every replica: event-loop lag, memory, GC, CPU.',
    panels: [
      ts('Event-loop lag p99', 's', [
        { expr: `max by (service, instance) (flowgate_nodejs_eventloop_lag_p99_seconds${sel()})`, legend: '{{service}} {{instance}}' },
      ]),
      ts('Event-loop lag mean', 's', [
        { expr: `max by (service, instance) (flowgate_nodejs_eventloop_lag_mean_seconds${sel()})`, legend: '{{service}} {{instance}}' },
      ]),
      ts('Heap used', 'bytes', [
        { expr: `sum by (service, instance) (flowgate_nodejs_heap_size_used_bytes${sel()})`, legend: '{{service}} {{instance}}' },
      ]),
      ts('Resident memory', 'bytes', [
        { expr: `sum by (service, instance) (flowgate_process_resident_memory_bytes${sel()})`, legend: '{{service}} {{instance}}' },
      ]),
      ts(
        'GC time',
        'percentunit',
        [{ expr: `sum by (service, kind) (${rate('flowgate_nodejs_gc_duration_seconds_sum')})`, legend: '{{service}} {{kind}}' }],
        'Share of time spent in garbage collection, by GC kind.',
      ),
      ts('GC runs', 'ops', [
        { expr: `sum by (service, kind) (${rate('flowgate_nodejs_gc_duration_seconds_count')})`, legend: '{{service}} {{kind}}' },
      ]),
      ts('CPU', 'percentunit', [
        { expr: `sum by (service, instance) (${rate('flowgate_process_cpu_seconds_total')})`, legend: '{{service}} {{instance}}' },
      ]),
      ts('Active handles', 'short', [
        { expr: `sum by (service, instance) (flowgate_nodejs_active_handles_total${sel()})`, legend: '{{service}} {{instance}}' },
      ]),
    ],
  },
};

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

function panelJson(panel, id, gridPos) {
  const base = {
    id,
    type: panel.kind,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    datasource: DATASOURCE,
    gridPos,
    targets: panel.targets.map((t, i) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend,
      range: true,
      instant: false,
    })),
  };
  const defaults = {
    unit: panel.unit,
    ...(panel.min !== undefined ? { min: panel.min } : {}),
    ...(panel.max !== undefined ? { max: panel.max } : {}),
  };
  if (panel.kind === 'stat') {
    return {
      ...base,
      fieldConfig: {
        defaults: {
          ...defaults,
          color: { mode: 'thresholds' },
          thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        },
        overrides: [],
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'area',
        textMode: 'auto',
      },
    };
  }
  return {
    ...base,
    fieldConfig: {
      defaults: { ...defaults, custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false } },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function dashboardJson(name, spec) {
  const panels = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  spec.panels.forEach((panel, i) => {
    const w = panel.width ?? 12;
    const h = panel.height ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    panels.push(panelJson(panel, i + 1, { x, y, w, h }));
    x += w;
    rowHeight = Math.max(rowHeight, h);
  });
  return {
    uid: `flowgate-${name}`,
    title: spec.title,
    description: spec.description,
    tags: ['flowgate'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: '',
    links: [{ type: 'dashboards', tags: ['flowgate'], asDropdown: true, title: 'Flowgate', includeVars: true, keepTime: true }],
    annotations: { list: [] },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1 },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: 'label_values(flowgate_process_start_time_seconds, namespace)', refId: 'namespace' },
          definition: 'label_values(flowgate_process_start_time_seconds, namespace)',
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { selected: true, text: ['All'], value: ['$__all'] },
          refresh: 2,
          sort: 1,
          hide: 0,
        },
      ],
    },
    panels,
  };
}

const check = process.argv.includes('--check');
mkdirSync(OUT, { recursive: true });
let stale = 0;
for (const [name, spec] of Object.entries(dashboards)) {
  const file = join(OUT, `${name}.json`);
  const text = `${JSON.stringify(dashboardJson(name, spec), null, 2)}\n`;
  if (check) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing
    }
    if (current !== text) {
      console.error(`grafana-dashboards: ${file} is out of date: run node scripts/grafana-dashboards.mjs`);
      stale++;
    }
  } else {
    writeFileSync(file, text);
  }
}
if (stale > 0) process.exit(1);
console.error(`grafana-dashboards: ${Object.keys(dashboards).length} dashboards ${check ? 'up to date' : `written to ${OUT}`}`);
