import type { PipelineFigures } from './e2e';
import { statCpuSeconds } from './process-cpu';
import type { ScaleOutFigures, ScaleOutRun } from './scale-out';
import { scaleBlock, scaleProblems } from './scale-report';

function run(replicas: number, executionsPerS: number, rejected = 0): ScaleOutRun {
  const figures: PipelineFigures = {
    scenario: `scale-out ${replicas}+${replicas}`,
    concurrency: 16,
    duration_s: 5,
    fired: 500,
    rejected,
    completed: 500 - rejected,
    succeeded: 500 - rejected,
    lost: 0,
    by_status: { succeeded: 500 - rejected },
    window_s: 5,
    executions_per_s: executionsPerS,
    latency_ms: { p50: 90, p90: 150, p99: 300, max: 400, mean: 100 },
  };
  const cpu = Array.from({ length: replicas }, (_, i) => ({ process: `execution-${i + 1}`, cpu_s: 1, ms_per_execution: 2 }));
  return { replicas, figures, cpu, cpu_ms_per_execution: 2 * replicas, load_generator_ms_per_execution: 1 };
}

describe('statCpuSeconds', () => {
  it('adds utime and stime (ticks of 10 ms), a command with spaces and parentheses included', () => {
    const stat = '4242 (node (my app)) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 12345 0 0';
    expect(statCpuSeconds(stat)).toBeCloseTo(3.0, 6);
  });
});

describe('scaleBlock / scaleProblems', () => {
  const figures: ScaleOutFigures = {
    one: run(1, 100),
    two: run(2, 90),
    ratio_executions_per_s: 0.9,
    ratio_cpu_per_execution: 2,
  };

  it('prints both rows, the ratio and, on 2 cores, why it is expected ≤ 1', () => {
    const text = scaleBlock({ scale_out: figures, sync_always: null, cpus: 2 });
    expect(text).toContain('│ 1 + 1    │  100.00 │');
    expect(text).toContain('execution-1 2.00, execution-2 2.00');
    expect(text).toContain('ratio 2 + 2 ÷ 1 + 1 executions/s: 0.900 (expected ≤ 1 on 2 cores');
    expect(scaleBlock({ scale_out: figures, sync_always: null, cpus: 8 })).not.toContain('expected ≤ 1');
  });

  it('counts rejected webhooks of either run as a problem, and nothing when both ran clean', () => {
    expect(scaleProblems({ scale_out: figures, sync_always: null })).toEqual([]);
    const problems = scaleProblems({ scale_out: { ...figures, two: run(2, 90, 3) }, sync_always: null });
    expect(problems).toEqual([expect.stringContaining('scale-out 2+2: 497 succeeded of 497, 0 not finished in time, 3 webhooks rejected')]);
  });
});
