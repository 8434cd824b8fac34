import { counter, histogram } from '@flowgate/kit';
import type { Registry } from 'prom-client';

export function ingressMetrics(registry: Registry) {
  return {
    http: histogram(registry, 'flowgate_http_server_request_duration_seconds', 'HTTP request duration by route, method and status', [
      'method',
      'route',
      'status_code',
    ]),
    accepted: counter(registry, 'flowgate_webhooks_accepted_total', 'Webhooks accepted (publish acknowledged)', ['mode']),
    rejected: counter(registry, 'flowgate_webhooks_rejected_total', 'Webhooks rejected, by reason', ['reason']),
  };
}
export type IngressMetrics = ReturnType<typeof ingressMetrics>;
