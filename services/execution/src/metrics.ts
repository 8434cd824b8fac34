import { consumerMetrics, counter, grpcServerMetrics, histogram, WorkspaceLabels } from '@flowgate/kit';
import { TIMER_KINDS } from '@flowgate/contracts';
import type { Registry } from 'prom-client';

/** What a debounce schedule did when it arrived: started the window's execution, moved on to a later due time, found no window. */
export const DEBOUNCE_FIRE_OUTCOMES = ['started', 'moved', 'stale'] as const;
export type DebounceFireOutcome = (typeof DEBOUNCE_FIRE_OUTCOMES)[number];

/**
 * Executions are counted per workspace, not per workflow: `workspace_id` is bounded
 * (WorkspaceLabels, FLOWGATE_METRICS_MAX_WORKSPACES = N: at most N + 2 values per process), so
 * started ≤ N + 2, finished ≤ (N + 2) × 4 terminal statuses, slot waits ≤ N + 2 series, however many
 * workflows exist (a `workflow_id` label, as before, grew a series per workflow ever run: ADR 0018).
 * Per-workflow counts are the executions API's (`GET /v1/executions?workflow_id=`).
 */
export function executionMetrics(registry: Registry, workspaces: WorkspaceLabels = new WorkspaceLabels()) {
  const timersFired = counter(registry, 'flowgate_timers_fired_total', 'Timers fired', ['kind']);
  const timerLag = histogram(registry, 'flowgate_timer_fire_lag_seconds', 'Delay between a timer being due and being fired', ['kind']);
  // Present from the start (at 0), so the first timer shows as an increase in rate().
  for (const kind of TIMER_KINDS) {
    timersFired.inc({ kind }, 0);
    timerLag.zero({ kind });
  }
  // Debounce windows' schedules as they arrive (ADR 0022): a start published, moved by a later event, or none left.
  const debounceFires = counter(registry, 'flowgate_debounce_fires_total', "Debounce windows' schedules handled, by outcome", ['outcome']);
  for (const outcome of DEBOUNCE_FIRE_OUTCOMES) debounceFires.inc({ outcome }, 0);
  return {
    workspaces,
    debounceFires,
    consumer: consumerMetrics(registry),
    grpc: grpcServerMetrics(registry),
    started: counter(registry, 'flowgate_executions_started_total', 'Executions that started running, by workspace', ['workspace_id']),
    finished: counter(
      registry,
      'flowgate_executions_finished_total',
      'Executions that reached a terminal status, by workspace and status',
      ['workspace_id', 'status'],
    ),
    slotWaits: counter(
      registry,
      'flowgate_concurrency_slot_waits_total',
      'Executions that queued behind max_concurrent_executions, by workspace',
      ['workspace_id'],
    ),
    stepDuration: histogram(registry, 'flowgate_step_duration_seconds', 'Duration of one step attempt', ['type', 'outcome']),
    // Timers are JetStream message schedules fired by the server (ADR 0013): counted where they arrive,
    // under the names the scheduler uses for the timers it still fires.
    timersFired,
    timerLag,
  };
}
export type ExecutionMetrics = ReturnType<typeof executionMetrics>;
