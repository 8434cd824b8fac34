import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Completion } from './completion';
import type { AuthFigures } from './auth-scenarios';
import type { E2eFigures } from './e2e';
import type { LoadFigures } from './load';

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
  };
  /** Load average before the run: other work on the machine skews every figure. */
  machine: { cpus: number; node: string; platform: string; load_avg_1m_at_start: number };
  baseline: LoadFigures;
  flowgate: LoadFigures & { end_to_end: Completion };
  /** Async accepted/s per webhook auth method on an ingress-only Flowgate, rate limiting on. */
  auth: AuthFigures[];
  /** flowgate accepted/s ÷ baseline accepted/s. */
  ratio_accepted_per_s: number;
  /** Sync URL round trips of the 1-step http workflow (null when the scenarios were skipped). */
  sync: (LoadFigures & { ratio_to_baseline: number }) | null;
  /** The http-step scenarios (1 and 5 steps), each on a fresh Flowgate. */
  end_to_end: E2eFigures[];
  /** 1-step executions/s ÷ baseline accepted/s (null when the scenarios were skipped). */
  ratio_e2e_1step_to_baseline_accepted: number | null;
  /** 1-step executions/s ÷ Flowgate accepted/s. */
  ratio_e2e_1step_to_flowgate_accepted: number | null;
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

export function detailedReport(r: BenchResults): string {
  const e = r.flowgate.end_to_end;
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
    '',
    ...r.auth.flatMap((a) => [
      ...loadLines(
        `flowgate ingress only, auth ${a.method}, trigger rate limit on (ratio to baseline ${a.ratio_to_baseline.toFixed(3)})`,
        a,
      ),
      '',
    ]),
    ...(r.sync
      ? [...loadLines(`flowgate sync URL, 1-step http workflow (ratio to baseline ${r.sync.ratio_to_baseline})`, r.sync), '']
      : []),
    ...r.end_to_end.flatMap((s) => [
      `end to end: ${s.scenario} (closed loop, ${s.concurrency} webhooks in flight, ${s.duration_s.toFixed(1)} s, fresh database)`,
      `  executions          ${pad(s.completed, 8)} finished in ${s.window_s} s  →  ${s.executions_per_s.toFixed(2)} /s   ` +
        `(${s.succeeded} succeeded; ${s.rejected} webhooks rejected, ${s.lost} not finished in time) ${JSON.stringify(s.by_status)}`,
      `  accept → finished   p50 ${s.latency_ms.p50} ms   p90 ${s.latency_ms.p90} ms   p99 ${s.latency_ms.p99} ms   max ${s.latency_ms.max} ms`,
      `  executor CPU        ${s.executor_cpu_s} s for ${s.steps_run} steps  →  ${s.executor_cpu_ms_per_step} ms/step, ` +
        `${s.executor_cpu_ms_per_execution} ms/execution`,
      '',
    ]),
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
    ...r.auth.map((a) => `${row(`auth ${a.method === 'standard_webhooks' ? 'sw' : a.method}`, a)} ratio ${a.ratio_to_baseline.toFixed(3)}`),
    `│ flowgate end-to-end completed/s: ${e.completed_per_s.toFixed(1)} (${e.completed} executions, ${e.failed} failed, drained: ${e.drained ? 'yes' : 'NO'})`,
    ...(r.end_to_end.length > 0
      ? [
          '│ end to end │ exec/s  │ p50 ms  │ p99 ms  │ CPU ms/step │',
          ...r.end_to_end.map(
            (s) =>
              `│ ${s.scenario.padEnd(11)}│ ${pad(s.executions_per_s.toFixed(2), 7)} │ ${pad(s.latency_ms.p50, 7)} │ ${pad(s.latency_ms.p99, 7)} │ ${pad(s.executor_cpu_ms_per_step.toFixed(2), 11)} │`,
          ),
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

export function writeResults(path: string, r: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}
