import type { ScaleOutFigures, ScaleOutRun } from './scale-out';
import type { SyncAlwaysFigures, SyncSide } from './sync-always';

/**
 * The report of the "Beyond one machine" scenarios: scale-out (scale-out.ts) and
 * `sync_interval: always` (sync-always.ts), printed after the summary and the targets.
 */
/** `BENCH_ONLY=scale`: only these scenarios ran (on the same servers as a whole run would use). */
export interface ScaleOnlyResults {
  only: 'scale';
  ok: boolean;
  problems: string[];
  generated_at: string;
  settings: Record<string, number | string>;
  machine: { cpus: number; node: string; platform: string; load_avg_1m_at_start: number; load_avg_1m_at_end: number };
  scale_out: ScaleOutFigures | null;
  sync_always: SyncAlwaysFigures | null;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const fixed = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

function scaleRow(run: ScaleOutRun): string {
  const f = run.figures;
  return (
    `│ ${`${run.replicas} + ${run.replicas}`.padEnd(9)}│ ${pad(f.executions_per_s.toFixed(2), 7)} │ ${pad(f.latency_ms.p50, 7)} │ ${pad(f.latency_ms.p99, 7)} │ ` +
    `${pad(run.cpu_ms_per_execution.toFixed(2), 10)} │ ${run.cpu.map((p) => `${p.process} ${p.ms_per_execution.toFixed(2)}`).join(', ')}` +
    ` (bench process: load + downstream ${run.load_generator_ms_per_execution.toFixed(2)}, not in the sum)`
  );
}

function scaleLines(s: ScaleOutFigures, cpus: number): string[] {
  const problems = [s.one, s.two].filter((r) => r.figures.rejected > 0 || r.figures.lost > 0 || r.figures.succeeded < r.figures.completed);
  return [
    `┌─ scale-out: 1-step http e2e, ${s.one.figures.concurrency} in flight, ingress + execution replicas on the same nats-server and FerretDB ─`,
    '│ replicas │ exec/s  │ p50 ms  │ p99 ms  │ CPU ms/ex. │ CPU ms per execution, each process',
    scaleRow(s.one),
    scaleRow(s.two),
    `│ ratio 2 + 2 ÷ 1 + 1 executions/s: ${fixed(s.ratio_executions_per_s, 3)}` +
      (cpus <= 2 ? ` (expected ≤ 1 on ${cpus} cores: the replicas share them with the servers and the load generator)` : ''),
    `│ ratio 2 + 2 ÷ 1 + 1 CPU per execution, all processes: ${fixed(s.ratio_cpu_per_execution, 3)} (what coordinating two replicas costs)`,
    ...problems.map(
      (r) =>
        `│ ${r.replicas} + ${r.replicas}: ${r.figures.rejected} webhooks rejected, ${r.figures.lost} not finished in time, ` +
        `${r.figures.completed - r.figures.succeeded} failed`,
    ),
    '└─',
  ];
}

function syncRow(side: SyncSide): string[] {
  const a = side.accept;
  const e = side.e2e;
  return [
    `│ ${side.sync_interval.padEnd(8)}│ accept │ ${pad(a.accepted_per_s.toFixed(1), 9)} │ ${pad(a.latency_ms.p50, 7)} │ ${pad(a.latency_ms.p99, 7)} │ ` +
      `nats-server ${fixed(a.nats_cpu_ms_per_webhook, 3)} ms CPU/webhook${side.server_sync_always === null ? '' : `, /varz sync_always ${side.server_sync_always}`}`,
    ...(e
      ? [
          `│ ${side.sync_interval.padEnd(8)}│ 1-step │ ${pad(e.executions_per_s.toFixed(2), 9)} │ ${pad(e.latency_ms.p50, 7)} │ ${pad(e.latency_ms.p99, 7)} │ ` +
            `nats-server ${fixed(e.nats_cpu_ms_per_execution, 3)} ms CPU/execution, executor ${e.executor_cpu_ms_per_execution} ms/execution`,
        ]
      : []),
  ];
}

function syncLines(s: SyncAlwaysFigures): string[] {
  return [
    `┌─ sync_interval: nats-server's default (fsync every 2 min) vs \`sync_interval: always\` (fsync before every ack); store on ${s.store_fs ?? 'n/a'} ─`,
    '│ sync    │ what   │ per s     │ p50 ms  │ p99 ms  │',
    ...syncRow(s.default),
    ...syncRow(s.always),
    `│ ratio always ÷ default: accepted/s ${fixed(s.ratio_accepted_per_s, 3)}, 1-step executions/s ${fixed(s.ratio_e2e_executions_per_s, 3)}` +
      (s.store_fs === 'tmpfs' ? ' (tmpfs: fsync is free there, the ratio says nothing)' : ''),
    '└─',
  ];
}

/** Both blocks; empty when neither scenario ran. */
export function scaleBlock(r: { scale_out: ScaleOutFigures | null; sync_always: SyncAlwaysFigures | null; cpus: number }): string {
  return [...(r.scale_out ? scaleLines(r.scale_out, r.cpus) : []), ...(r.sync_always ? syncLines(r.sync_always) : [])].join('\n');
}

/** Problems of the scenarios, for the run's verdict. */
export function scaleProblems(r: { scale_out: ScaleOutFigures | null; sync_always: SyncAlwaysFigures | null }): string[] {
  const out: string[] = [];
  for (const run of r.scale_out ? [r.scale_out.one, r.scale_out.two] : []) {
    const f = run.figures;
    if (f.succeeded === 0 || f.succeeded < f.completed || f.lost > 0 || f.rejected > 0)
      out.push(
        `${f.scenario}: ${f.succeeded} succeeded of ${f.completed}, ${f.lost} not finished in time, ${f.rejected} webhooks rejected`,
      );
  }
  for (const side of r.sync_always ? [r.sync_always.default, r.sync_always.always] : []) {
    const a = side.accept;
    if (a.accepted === 0 || a.non_2xx > 0) out.push(`sync ${side.sync_interval} accept: ${a.accepted} accepted, ${a.non_2xx} non-2xx`);
    if (!a.end_to_end.drained || a.end_to_end.failed > 0)
      out.push(`sync ${side.sync_interval} accept: drained ${a.end_to_end.drained}, ${a.end_to_end.failed} executions failed`);
    if (side.sync_interval === 'always' && side.server_sync_always === false)
      out.push('sync always: nats-server does not report sync_always');
    const e = side.e2e;
    if (e && (e.succeeded === 0 || e.succeeded < e.completed || e.lost > 0 || e.rejected > 0))
      out.push(
        `${e.scenario}: ${e.succeeded} succeeded of ${e.completed}, ${e.lost} not finished in time, ${e.rejected} webhooks rejected`,
      );
  }
  return out;
}
