import type { Execution, StepExecution } from '@flowgate/client';

/**
 * `describe execution`'s timeline (pure): the execution's header, then each step attempt in order —
 * start offset, status, attempt, duration, error — and what a waiting execution waits for.
 */
export function durationText(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m${Math.round((ms % 60_000) / 1_000)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

const since = (from: string | null, to: string | null): number | null =>
  from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : null;

export function stepLine(step: StepExecution, origin: string | null, now: Date): string {
  const offset = since(origin, step.started_at);
  const ran = since(step.started_at, step.finished_at ?? (step.started_at ? now.toISOString() : null));
  const parts = [
    offset === null ? '       -' : `+${durationText(offset)}`.padStart(8),
    step.status.padEnd(12),
    `${step.step_id} (${step.type})`,
    step.attempt > 1 ? `attempt ${step.attempt}` : '',
    ran === null ? '' : step.finished_at ? durationText(ran) : `${durationText(ran)} so far`,
  ].filter(Boolean);
  const line = `  ${parts.join('  ')}`;
  return step.error ? `${line}\n${' '.repeat(12)}error ${step.error.code}: ${step.error.message}` : line;
}

export function renderTimeline(execution: Execution, now: Date = new Date()): string {
  const origin = execution.started_at ?? execution.created_at;
  const total = since(origin, execution.finished_at);
  const header = [
    `Execution ${execution.id}  ${execution.status.toUpperCase()}`,
    `  workflow ${execution.workflow_id} v${execution.workflow_version} (${execution.environment})${execution.test_run ? ' test run' : ''}`,
    `  created ${execution.created_at ?? '-'}  started ${execution.started_at ?? '-'}  finished ${execution.finished_at ?? '-'}` +
      (total === null ? '' : `  (${durationText(total)})`),
  ];
  if (execution.replay_of)
    header.push(`  replay of ${execution.replay_of}${execution.replay_from_step ? ` from step ${execution.replay_from_step}` : ''}`);
  const steps = execution.step_executions.length
    ? ['Steps:', ...execution.step_executions.map((s) => stepLine(s, origin, now))]
    : ['Steps: none yet'];
  const footer: string[] = [];
  if (execution.status === 'waiting' && execution.waiting_reason) {
    const payload = Object.entries(execution.waiting_payload ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    footer.push(
      `Waiting: ${execution.waiting_reason}${execution.waiting_expires_at ? ` until ${execution.waiting_expires_at}` : ''}${payload ? `  ${payload}` : ''}`,
    );
  }
  if (execution.error)
    footer.push(
      `Error: ${execution.error.code}: ${execution.error.message}${execution.error.step_id ? ` (step ${execution.error.step_id})` : ''}`,
    );
  return [...header, ...steps, ...footer].join('\n');
}
