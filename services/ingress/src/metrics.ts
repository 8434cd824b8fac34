import { counter, histogram, WorkspaceLabels } from '@flowgate/kit';
import type { Registry } from 'prom-client';

/**
 * `workspace_id` is bounded (WorkspaceLabels, FLOWGATE_METRICS_MAX_WORKSPACES): at most N + 2 values
 * per process, so accepted ≤ (N + 2) × 3 modes, rejected ≤ (N + 2) × 10 reasons, quota refusals ≤
 * (N + 2) × 3 quotas series. `_none`: the request named no known workspace (an unknown token).
 */
export function ingressMetrics(registry: Registry, workspaces: WorkspaceLabels = new WorkspaceLabels()) {
  return {
    workspaces,
    http: histogram(registry, 'flowgate_http_server_request_duration_seconds', 'HTTP request duration by route, method and status', [
      'method',
      'route',
      'status_code',
    ]),
    accepted: counter(registry, 'flowgate_webhooks_accepted_total', 'Webhooks accepted (publish acknowledged), by mode and workspace', [
      'mode',
      'workspace_id',
    ]),
    rejected: counter(registry, 'flowgate_webhooks_rejected_total', 'Webhooks rejected, by reason and workspace', [
      'reason',
      'workspace_id',
    ]),
    quotaRefusals: counter(
      registry,
      'flowgate_quota_refusals_total',
      'Executions refused by a workspace quota (webhooks, fan-outs, test runs, replays), by quota and workspace',
      ['quota', 'workspace_id'],
    ),
  };
}
export type IngressMetrics = ReturnType<typeof ingressMetrics>;
