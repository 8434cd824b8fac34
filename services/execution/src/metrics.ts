import { consumerMetrics, counter, grpcServerMetrics, histogram } from '@flowgate/kit';
import { TIMER_KINDS } from '@flowgate/contracts';
import type { Registry } from 'prom-client';

export function executionMetrics(registry: Registry) {
  const timersFired = counter(registry, 'flowgate_timers_fired_total', 'Timers fired', ['kind']);
  const timerLag = histogram(registry, 'flowgate_timer_fire_lag_seconds', 'Delay between a timer being due and being fired', ['kind']);
  // Present from the start (at 0), so the first timer shows as an increase in rate().
  for (const kind of TIMER_KINDS) {
    timersFired.inc({ kind }, 0);
    timerLag.zero({ kind });
  }
  return {
    consumer: consumerMetrics(registry),
    grpc: grpcServerMetrics(registry),
    started: counter(registry, 'flowgate_executions_started_total', 'Executions that started running', ['workflow_id']),
    finished: counter(registry, 'flowgate_executions_finished_total', 'Executions that reached a terminal status', [
      'workflow_id',
      'status',
    ]),
    slotWaits: counter(registry, 'flowgate_concurrency_slot_waits_total', 'Executions that queued behind max_concurrent_executions', [
      'workflow_id',
    ]),
    stepDuration: histogram(registry, 'flowgate_step_duration_seconds', 'Duration of one step attempt', ['type', 'outcome']),
    // Timers are JetStream message schedules fired by the server (ADR 0013): counted where they arrive,
    // under the names the scheduler uses for the timers it still fires.
    timersFired,
    timerLag,
  };
}
export type ExecutionMetrics = ReturnType<typeof executionMetrics>;
