import { consumerMetrics, counter, grpcServerMetrics, histogram } from '@flowgate/kit';
import type { Registry } from 'prom-client';

export function executionMetrics(registry: Registry) {
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
  };
}
export type ExecutionMetrics = ReturnType<typeof executionMetrics>;
