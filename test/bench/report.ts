import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServiceName } from '../support/stack';
import type { Completion } from './completion';
import type { AuthFigures } from './auth-scenarios';
import { perUnit, type PerUnit, type StoreBudget } from './budget';
import type { E2eFigures, PipelineFigures } from './e2e';
import type { HistoryFill } from './history';
import type { LoadFigures } from './load';
import type { ScaleOutFigures } from './scale-out';
import type { SyncAlwaysFigures } from './sync-always';
import type { TenantFigures } from './tenants';
import { mb, type StoreFiles } from './resources';

/** Peak RSS of a scenario's services (VmHWM, MB) and its database's files at the scenario's end. */
export interface ScenarioResources {
  scenario: string;
  peak_rss_mb: Partial<Record<ServiceName, number>>;
  /** FerretDB's SQLite files of the scenario's database (null on an external MongoDB). */
  store_files: StoreFiles | null;
  /** Documents retained when it ended. */
  retained: { executions: number; step_executions: number };
}

/** The benchmark's results: what is printed and what goes to .test-results/bench.json. */
export interface BenchResults {
  ok: boolean;
  problems: string[];
  generated_at: string;
  settings: {
    duration_s: number;
    connections: number;
    warmup_requests: number;
    body: string;
    service_log_level: string;
    e2e_duration_s: number;
    e2e_concurrency: number;
    e2e_warmup_executions: number;
    history_executions: number;
    history_timeout_s: number;
    history_fill_s: number;
    sync_serial_s: number;
    /** How NATS messages are counted (null: not counted, e.g. an external server without BENCH_NATS_MONITOR_URL). */
    nats_messages_counted_by: string | null;
  };
  /** Load average before and after the run: other work on the machine skews every figure. */
  machine: { cpus: number; node: string; platform: string; load_avg_1m_at_start: number; load_avg_1m_at_end: number };
  baseline: LoadFigures;
  flowgate: LoadFigures & { end_to_end: Completion; budget: StoreBudget };
  /** Async accepted/s per webhook auth method on the whole stack, rate limiting on. */
  auth: AuthFigures[];
  /** The bare durable pipeline (durable-server.ts), null when the e2e scenarios were skipped. */
  durable_baseline: (PipelineFigures & { peak_rss_mb: number | null }) | null;
  /** The 1-step http run on a store pre-filled with finished executions. */
  history: { fill: HistoryFill; figures: E2eFigures; ratio_to_empty_store: number | null } | null;
  /** Sync round trips at 1 in flight and the downstream's own round trip: the latency Flowgate adds. */
  sync_serial: { sync: LoadFigures; downstream: LoadFigures; added_ms_p50: number } | null;
  resources: ScenarioResources[];
  /** FerretDB's whole SQLite directory after the run (each scenario's database dropped). */
  store_files_after_run: StoreFiles | null;
  /** tenants.ts: one workspace's latency beside another over its quota, null when skipped. */
  tenants: TenantFigures | null;
  /** scale-out.ts: 1 + 1 vs 2 + 2 ingress + execution replicas, null when skipped. */
  scale_out: ScaleOutFigures | null;
  /** sync-always.ts: accept and 1-step e2e on nats-server's default sync vs `sync_interval: always`, null when skipped. */
  sync_always: SyncAlwaysFigures | null;
  /** scheduler.ts's figures (its own servers), null when skipped. */
  scheduler: {
    ok: boolean;
    exit_code: number | null;
    report: string;
    /** The scheduler service's poll of the old `timers` collection (what older versions left there). */
    p99_s: number | null;
    missing: number | null;
    timers_per_s: number | null;
    /** The executor's timers: JetStream message schedules (ADR 0013). */
    schedules_p99_s: number | null;
    /** Every schedule arrived once, none early, p99 < 1 s. */
    schedules_ok: boolean | null;
  } | null;
  /** flowgate accepted/s ÷ baseline accepted/s. */
  ratio_accepted_per_s: number;
  /** Sync URL round trips of the 1-step http workflow (null when the scenarios were skipped). */
  sync: (LoadFigures & { ratio_to_baseline: number; budget: StoreBudget | null }) | null;
  /** The http-step scenarios (1 and 5 steps), each on a fresh Flowgate. */
  end_to_end: E2eFigures[];
  /** 1-step executions/s ÷ baseline accepted/s (null when the scenarios were skipped). */
  ratio_e2e_1step_to_baseline_accepted: number | null;
  /** 1-step executions/s ÷ Flowgate accepted/s. */
  ratio_e2e_1step_to_flowgate_accepted: number | null;
  /** 1-step executions/s ÷ the bare durable pipeline's executions/s. */
  ratio_e2e_1step_to_durable_baseline: number | null;
  /** (5-step − 1-step executor CPU per execution) ÷ 4: the cost of one more http step. */
  executor_cpu_ms_per_extra_step: number | null;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

function loadLines(label: string, f: LoadFigures): string[] {
  return [
    `${label}  ${f.url}`,
    `  accepted (2xx)      ${pad(f.accepted, 8)} in ${f.duration_s.toFixed(1)} s  →  ${f.accepted_per_s.toFixed(1)} /s`,
    `  accept latency      p50 ${f.latency_ms.p50} ms   p90 ${f.latency_ms.p90} ms   p99 ${f.latency_ms.p99} ms   max ${f.latency_ms.max} ms`,
    `  non-2xx             ${pad(f.non_2xx, 8)}   errors ${f.errors} (timeouts ${f.timeouts})   statuses ${JSON.stringify(f.status_counts)}`,
  ];
}

function perLine(label: string, p: PerUnit | null): string[] {
  if (!p) return [];
  return [
    `  ${label.padEnd(20)}${p.mongo_round_trips} MongoDB commands (${p.mongo_statements} statements), ${p.writes} store writes, ` +
      `${p.scans} scanning, ${p.nats_msgs_sent ?? 'n/a'} NATS messages sent`,
  ];
}

/** The store budget of a scenario: per webhook / execution, then where it went. */
function budgetLines(b: StoreBudget | null | undefined, opts: { webhook?: boolean; execution?: boolean } = {}): string[] {
  if (!b) return [];
  const top = Object.entries(b.total.by_command)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 10)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const services = Object.entries(b.by_service)
    .map(
      ([name, s]) =>
        `${name} ${s.mongo_round_trips} cmds / ${s.writes} writes / ${s.statements.scan} scans / ${s.nats_msgs_sent ?? 'n/a'} msgs`,
    )
    .join('; ');
  return [
    ...(opts.webhook !== false ? perLine('per webhook', b.per_webhook) : []),
    ...(opts.execution !== false ? perLine('per execution', b.per_execution) : []),
    `  store totals        ${b.total.mongo_round_trips} commands, ${b.total.writes} writes in ${b.total.write_round_trips} write commands` +
      ` (${b.round_trips_per_write ?? 'n/a'} round trips per write), ${b.total.statements.scan} scanning; ${b.accepted} webhooks, ${b.executions} executions`,
    `  by service          ${services}`,
    `  top statements      ${top || 'none'}`,
  ];
}

function pipelineLines(s: PipelineFigures): string[] {
  return [
    `  executions          ${pad(s.completed, 8)} finished in ${s.window_s} s  →  ${s.executions_per_s.toFixed(2)} /s   ` +
      `(${s.succeeded} succeeded; ${s.rejected} webhooks rejected, ${s.lost} not finished in time) ${JSON.stringify(s.by_status)}`,
    `  accept → finished   p50 ${s.latency_ms.p50} ms   p90 ${s.latency_ms.p90} ms   p99 ${s.latency_ms.p99} ms   max ${s.latency_ms.max} ms`,
  ];
}

export function detailedReport(r: BenchResults): string {
  const e = r.flowgate.end_to_end;
  const d = r.durable_baseline;
  const h = r.history;
  const ss = r.sync_serial;
  return [
    '',
    ...loadLines('baseline (express + JetStream publish, own process)', r.baseline),
    '',
    ...loadLines('flowgate (async webhook, 1 transform step)', r.flowgate),
    `  end to end          ${e.completed} executions terminal of ${e.recorded} recorded (${e.accepted} answered 2xx, ` +
      `${Math.max(0, e.recorded - e.accepted)} accepted as the load was cut off)${e.drained ? '' : ' NOT DRAINED: timed out'}`,
    `  drain               last one finished ${e.drain_after_load_s} s after the load ended`,
    `  completed           ${e.completed_per_s.toFixed(1)} /s  (${e.completed} over ${e.window_s} s from load start)`,
    `  failed executions   ${e.failed}  ${JSON.stringify(e.by_status)}`,
    ...budgetLines(r.flowgate.budget),
    '',
    ...r.auth.flatMap((a) => [
      ...loadLines(
        `flowgate ${a.executor === 'running' ? 'whole stack' : 'ingress alone (executor stopped)'}, auth ${a.method}, trigger rate limit on (ratio to baseline ${a.ratio_to_baseline.toFixed(3)})`,
        a,
      ),
      ...perLine('ingress per webhook', a.budget?.by_service.ingress ? perUnit(a.budget.by_service.ingress, a.accepted) : null),
      ...budgetLines(a.budget, { execution: false }),
      '',
    ]),
    ...(d
      ? [
          `bare durable pipeline (express + JetStream publish; consumer: the same POST, results by insertMany in batches, ack after; own process)`,
          ...pipelineLines(d),
          `  peak RSS            ${d.peak_rss_mb ?? 'n/a'} MB`,
          '',
        ]
      : []),
    ...[...r.end_to_end, ...(h ? [h.figures] : [])].flatMap((s) => [
      `end to end: ${s.scenario} (closed loop, ${s.concurrency} webhooks in flight, ${s.duration_s.toFixed(1)} s, ` +
        `${s === h?.figures ? `${h.fill.executions} finished executions stored first` : 'fresh database'})`,
      ...(s === h?.figures
        ? [
            `  history stored      ${h.fill.executions} of ${h.fill.requested} executions + ${h.fill.step_executions} step records in ${h.fill.seconds} s ` +
              `(${h.fill.docs_per_s} docs/s)${h.fill.capped ? `: stopped after ${r.settings.history_fill_s} s, inserts slowed as the store grew` : ''}`,
          ]
        : []),
      ...pipelineLines(s),
      `  executor CPU        ${s.executor_cpu_s} s for ${s.steps_run} steps  →  ${s.executor_cpu_ms_per_step} ms/step, ` +
        `${s.executor_cpu_ms_per_execution} ms/execution`,
      ...budgetLines(s.budget, { webhook: false }),
      '',
    ]),
    ...(r.sync
      ? [
          ...loadLines(`flowgate sync URL, 1-step http workflow (ratio to baseline ${r.sync.ratio_to_baseline})`, r.sync),
          ...budgetLines(r.sync.budget, { execution: false }),
          '',
        ]
      : []),
    ...(ss
      ? [
          ...loadLines('flowgate sync URL, 1 in flight', ss.sync),
          ...loadLines("downstream alone (the step's POST from the bench), 1 in flight", ss.downstream),
          `  added latency       p50 ${ss.added_ms_p50} ms (sync p50 − downstream p50)`,
          '',
        ]
      : []),
    'resources at the end of each scenario (peak RSS = VmHWM; store files = FerretDB SQLite files of its database)',
    ...r.resources.map(
      (x) =>
        `  ${x.scenario.padEnd(28)} RSS ${Object.entries(x.peak_rss_mb)
          .map(([k, v]) => `${k} ${v} MB`)
          .join(', ')}; store ${x.store_files ? `${mb(x.store_files.total_bytes)} MB (WAL ${mb(x.store_files.wal_bytes)} MB)` : 'n/a'}` +
        ` for ${x.retained.executions} executions + ${x.retained.step_executions} step records`,
    ),
    `  after the run: FerretDB directory ${r.store_files_after_run ? `${mb(r.store_files_after_run.total_bytes)} MB in ${r.store_files_after_run.files} files (WAL ${mb(r.store_files_after_run.wal_bytes)} MB)` : 'n/a'}`,
    `  NATS messages counted by ${r.settings.nats_messages_counted_by ?? 'nothing (n/a)'}`,
    ...(r.scheduler ? [r.scheduler.report.trimEnd()] : []),
    '',
  ].join('\n');
}

export function summaryBlock(r: BenchResults): string {
  const b = r.baseline;
  const f = r.flowgate;
  const e = f.end_to_end;
  const row = (name: string, x: LoadFigures) =>
    `│ ${name.padEnd(9)}│ ${pad(x.accepted_per_s.toFixed(1), 11)} │ ${pad(x.latency_ms.p50, 7)} │ ${pad(x.latency_ms.p99, 7)} │ ${pad(x.non_2xx + x.errors, 12)} │`;
  return [
    `┌─ bench summary: ${r.settings.duration_s} s × ${r.settings.connections} connections, ${r.machine.cpus} CPUs (load ${r.machine.load_avg_1m_at_start} at start), node ${r.machine.node} ─`,
    '│          │ accepted/s  │ p50 ms  │ p99 ms  │ non-2xx+err  │',
    row('baseline', b),
    row('flowgate', f),
    `│ ratio flowgate/baseline accepted/s: ${r.ratio_accepted_per_s.toFixed(3)}`,
    ...r.auth.map(
      (a) =>
        `${row(`auth ${a.method === 'standard_webhooks' ? 'sw' : a.method}${a.executor === 'stopped' ? ' alone' : ''}`, a)} ratio ${a.ratio_to_baseline.toFixed(3)}`,
    ),
    `│ flowgate end-to-end completed/s: ${e.completed_per_s.toFixed(1)} (${e.completed} executions, ${e.failed} failed, drained: ${e.drained ? 'yes' : 'NO'})`,
    ...(r.end_to_end.length > 0
      ? [
          '│ end to end │ exec/s  │ p50 ms  │ p99 ms  │ CPU ms/step │',
          ...r.end_to_end.map(
            (s) =>
              `│ ${s.scenario.padEnd(11)}│ ${pad(s.executions_per_s.toFixed(2), 7)} │ ${pad(s.latency_ms.p50, 7)} │ ${pad(s.latency_ms.p99, 7)} │ ${pad(s.executor_cpu_ms_per_step.toFixed(2), 11)} │`,
          ),
          ...(r.durable_baseline
            ? [
                `│ ${'bare dur.'.padEnd(11)}│ ${pad(r.durable_baseline.executions_per_s.toFixed(2), 7)} │ ${pad(r.durable_baseline.latency_ms.p50, 7)} │ ${pad(r.durable_baseline.latency_ms.p99, 7)} │ ${pad('—', 11)} │`,
              ]
            : []),
          ...(r.history
            ? [
                `│ ${'1-step hist'.padEnd(11)}│ ${pad(r.history.figures.executions_per_s.toFixed(2), 7)} │ ${pad(r.history.figures.latency_ms.p50, 7)} │ ${pad(r.history.figures.latency_ms.p99, 7)} │ ${pad(r.history.figures.executor_cpu_ms_per_step.toFixed(2), 11)} │`,
              ]
            : []),
          `│ ratio 1-step executions/s ÷ bare durable pipeline: ${r.ratio_e2e_1step_to_durable_baseline ?? 'n/a'}`,
          `│ ratio 1-step executions/s ÷ baseline accepted/s: ${r.ratio_e2e_1step_to_baseline_accepted ?? 'n/a'}` +
            ` (÷ flowgate accepted/s: ${r.ratio_e2e_1step_to_flowgate_accepted ?? 'n/a'})`,
          `│ executor CPU per extra http step (5-step vs 1-step): ${r.executor_cpu_ms_per_extra_step ?? 'n/a'} ms`,
          ...(r.sync ? [`${row('sync', r.sync)} round trips; ratio ${r.sync.ratio_to_baseline}`] : []),
        ]
      : []),
    `│ result: ${r.ok ? 'OK' : `PROBLEMS: ${r.problems.join('; ')}`}`,
    '└─',
  ].join('\n');
}

/** One of the issue's targets: the figure measured in this run beside it. */
export interface Target {
  name: string;
  figure: string;
  goal: string;
  /** null: not measured in this run (or a figure without a pass mark). */
  met: boolean | null;
}

const fixed = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

export function targets(r: BenchResults): Target[] {
  const hmac = r.auth.find((a) => a.method === 'hmac' && a.executor === 'running');
  const hmacAlone = r.auth.find((a) => a.method === 'hmac' && a.executor === 'stopped');
  const sw = r.auth.find((a) => a.method === 'standard_webhooks');
  const one = r.end_to_end.find((s) => s.steps_per_execution === 1);
  const five = r.end_to_end.find((s) => s.steps_per_execution === 5);
  const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? x / y : null);
  const check = (value: number | null, ok: (v: number) => boolean) => (value === null ? null : ok(value));
  const out: Target[] = [];
  const add = (name: string, figure: string, goal: string, met: boolean | null) => out.push({ name, figure, goal, met });

  const hmacRatio = ratio(hmac?.accepted_per_s, r.baseline.accepted_per_s);
  add(
    'async accept, HMAC, rate limit, whole stack ÷ bare accept',
    `${fixed(hmacRatio, 3)} (${fixed(hmac?.accepted_per_s, 1)}/s ÷ ${r.baseline.accepted_per_s.toFixed(1)}/s)`,
    '≥ 0.5',
    check(hmacRatio, (v) => v >= 0.5),
  );
  const aloneRatio = ratio(hmacAlone?.accepted_per_s, r.baseline.accepted_per_s);
  add(
    '  the same, executor stopped (ingress alone) ÷ bare accept',
    `${fixed(aloneRatio, 3)} (${fixed(hmacAlone?.accepted_per_s, 1)}/s)`,
    'no target: what the executor sharing 2 cores costs',
    null,
  );
  const swRatio = ratio(sw?.accepted_per_s, hmac?.accepted_per_s);
  add(
    'Standard Webhooks ÷ HMAC accepted/s',
    `${fixed(swRatio, 3)} (${fixed(sw?.accepted_per_s, 1)}/s)`,
    '≥ 0.9',
    check(swRatio, (v) => v >= 0.9),
  );
  const durableRatio = ratio(one?.executions_per_s, r.durable_baseline?.executions_per_s);
  add(
    '1-step http e2e ÷ bare durable pipeline',
    `${fixed(durableRatio, 3)} (${fixed(one?.executions_per_s, 2)}/s ÷ ${fixed(r.durable_baseline?.executions_per_s, 2)}/s)`,
    '≥ 0.5',
    check(durableRatio, (v) => v >= 0.5),
  );
  add(
    '1-step http e2e executions/s',
    `${fixed(one?.executions_per_s, 2)}/s (load ${r.machine.load_avg_1m_at_start} → ${r.machine.load_avg_1m_at_end}, ${r.machine.cpus} CPUs)`,
    '≥ 660/s',
    check(one?.executions_per_s ?? null, (v) => v >= 660),
  );
  add(
    `1-step p99 accept → finished, ${one?.concurrency ?? r.settings.e2e_concurrency} in flight`,
    `${one?.latency_ms.p99 ?? 'n/a'} ms (bare pipeline ${r.durable_baseline?.latency_ms.p99 ?? 'n/a'} ms)`,
    '< 250 ms',
    check(one?.latency_ms.p99 ?? null, (v) => v < 250),
  );
  const fiveRatio = ratio(five?.executions_per_s, one?.executions_per_s);
  add(
    '5-step ÷ 1-step executions/s',
    `${fixed(fiveRatio, 3)} (${fixed(five?.executions_per_s, 2)}/s)`,
    '≥ 0.4',
    check(fiveRatio, (v) => v >= 0.4),
  );
  const cpu = one && five ? Math.max(one.executor_cpu_ms_per_step, five.executor_cpu_ms_per_step) : null;
  add(
    'executor CPU per step (1-step / 5-step)',
    `${fixed(one?.executor_cpu_ms_per_step, 2)} / ${fixed(five?.executor_cpu_ms_per_step, 2)} ms`,
    '< 1 ms',
    check(cpu, (v) => v < 1),
  );
  const syncRatio = ratio(r.sync?.accepted_per_s, one?.executions_per_s);
  add(
    'sync round trips/s ÷ 1-step executions/s',
    `${fixed(syncRatio, 3)} (${fixed(r.sync?.accepted_per_s, 1)}/s, p50 ${r.sync?.latency_ms.p50 ?? 'n/a'} ms)`,
    '≥ 0.5',
    check(syncRatio, (v) => v >= 0.5),
  );
  const ss = r.sync_serial;
  add(
    'sync added latency p50, 1 in flight',
    ss ? `${ss.added_ms_p50} ms (${ss.sync.latency_ms.p50} − ${ss.downstream.latency_ms.p50} ms downstream)` : 'n/a',
    '< 10 ms',
    check(ss?.added_ms_p50 ?? null, (v) => v < 10),
  );

  // Hot path: ingress + execution in the e2e, history and sync scenarios, and ingress's accept path in the auth scenarios.
  const hot = [...r.end_to_end, ...(r.history ? [r.history.figures] : [])].map((s) => s.budget);
  const hotScans =
    [...hot, r.sync?.budget].reduce((sum, b) => sum + (b ? b.total.statements.scan : 0), 0) +
    r.auth.reduce((sum, a) => sum + (a.budget?.by_service.ingress?.statements.scan ?? 0), 0);
  const measuredHot = hot.some((b) => b) || r.auth.some((a) => a.budget);
  const oneBudget = one?.budget?.per_execution ?? null;
  add(
    'scanning hot-path statements (once the start-up looks are done)',
    measuredHot ? `${hotScans} in all (${fixed(oneBudget?.scans, 2)} per 1-step execution)` : 'n/a',
    '0',
    measuredHot ? hotScans === 0 : null,
  );
  add(
    'store writes per 1-step execution',
    `${fixed(oneBudget?.writes, 2)} (${fixed(oneBudget?.mongo_round_trips, 2)} MongoDB commands, ${fixed(oneBudget?.nats_msgs_sent, 2)} NATS msgs)`,
    '≤ 3',
    check(oneBudget?.writes ?? null, (v) => v <= 3),
  );
  const rtw = one?.budget?.round_trips_per_write ?? null;
  add(
    'round trips per store write, 1-step',
    fixed(rtw, 3),
    '≤ 0.2',
    check(rtw, (v) => v <= 0.2),
  );
  const hist = r.history?.ratio_to_empty_store ?? null;
  add(
    `history (${r.history ? `${r.history.fill.executions} of ${r.history.fill.requested}` : r.settings.history_executions} stored) ÷ empty store, 1-step executions/s`,
    `${fixed(hist, 3)} (${fixed(r.history?.figures.executions_per_s, 2)}/s, p99 ${r.history?.figures.latency_ms.p99 ?? 'n/a'} ms, ${r.history?.figures.lost ?? 'n/a'} not finished in ${r.settings.history_timeout_s} s)`,
    '≥ 0.9',
    // A history the store could not take in BENCH_HISTORY_FILL_S is a miss whatever the ratio on the part stored.
    r.history?.fill.capped ? false : check(hist, (v) => v >= 0.9),
  );
  const sch = r.scheduler;
  add(
    `timers (message schedules) p99 fire lag at ${sch?.timers_per_s ?? 1000} timers/s`,
    sch?.schedules_p99_s !== null && sch?.schedules_p99_s !== undefined
      ? `${sch.schedules_p99_s} s (old timers collection via the scheduler: ${sch.p99_s ?? 'n/a'} s)`
      : 'n/a',
    '< 1 s',
    sch && sch.schedules_ok !== null ? sch.schedules_ok : null,
  );
  for (const service of ['ingress', 'execution'] as const) {
    const peaks = r.resources.map((x) => x.peak_rss_mb[service]).filter((v): v is number => v !== undefined);
    const peak = peaks.length > 0 ? Math.max(...peaks) : null;
    add(
      `peak RSS ${service}`,
      peak === null ? 'n/a' : `${peak} MB`,
      '< 300 MB',
      check(peak, (v) => v < 300),
    );
  }
  const biggest = [...r.resources]
    .filter((x) => x.store_files)
    .sort((x, y) => (y.store_files?.total_bytes ?? 0) - (x.store_files?.total_bytes ?? 0))[0];
  add(
    'embedded store files (largest scenario; WAL included)',
    biggest?.store_files
      ? `${mb(biggest.store_files.total_bytes)} MB (WAL ${mb(biggest.store_files.wal_bytes)} MB) for ${biggest.retained.executions} executions, ${biggest.scenario}`
      : 'n/a',
    'bounded by what is retained',
    null,
  );
  return out;
}

export function targetsBlock(r: BenchResults): string {
  const rows = targets(r);
  const w = Math.max(...rows.map((t) => t.name.length));
  const g = Math.max(...rows.map((t) => t.goal.length));
  const mark = (m: boolean | null) => (m === null ? '  —    ' : m ? ' met   ' : 'NOT met');
  return [
    `┌─ targets (issue "Fast durable path"), ${r.machine.cpus} CPUs, load ${r.machine.load_avg_1m_at_start} at start, ${r.machine.load_avg_1m_at_end} at end ─`,
    ...rows.map((t) => `│ ${mark(t.met)} │ ${t.name.padEnd(w)} │ ${t.goal.padEnd(g)} │ ${t.figure}`),
    `│ ${rows.filter((t) => t.met === true).length} met, ${rows.filter((t) => t.met === false).length} not met, ${rows.filter((t) => t.met === null).length} without a mark`,
    '└─',
  ].join('\n');
}

/** The noisy-neighbour figure beside its target (issue "Workspaces"). */
export function tenantsBlock(r: BenchResults): string {
  const t = r.tenants;
  if (!t) return '';
  const mark = t.p99_ratio === null ? '  —    ' : t.p99_ratio <= 1.2 ? ' met   ' : 'NOT met';
  return [
    `┌─ target (issue "Workspaces"): ${t.rate_per_s}/s offered to each of two workspaces for ${t.duration_s} s ─`,
    `│ ${mark} │ A's p99 beside B over its quota ÷ A's p99 alone │ ≤ 1.2 │ ${fixed(t.p99_ratio, 3)} ` +
      `(${t.together.latency_ms.p99} ms ÷ ${t.solo.latency_ms.p99} ms; A ${t.together.accepted_per_s.toFixed(1)}/s accepted beside B, ` +
      `${t.solo.accepted_per_s.toFixed(1)}/s alone; B ${t.neighbour.accepted} accepted, ${t.neighbour.status_counts['429'] ?? 0} refused 429)`,
    '└─',
  ].join('\n');
}

export function writeResults(path: string, r: object): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}
