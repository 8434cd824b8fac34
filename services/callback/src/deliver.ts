import type { ExecutionEvent } from '@flowgate/contracts';
import { inSpan, SpanKind } from '@flowgate/kit';
import type { DeliveryAttempt, DeliveryDoc } from '@flowgate/store';
import { context, propagation } from '@opentelemetry/api';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';

/** Builds and sends one signed callback attempt (Standard Webhooks). */

export type CallbackEvent = DeliveryDoc['event'];

export function callbackTarget(event: ExecutionEvent): { url: string; type: CallbackEvent } | null {
  if (event.status === 'succeeded' && event.on_success_url) return { url: event.on_success_url, type: 'execution.succeeded' };
  if ((event.status === 'failed' || event.status === 'timed_out') && event.on_failure_url)
    return { url: event.on_failure_url, type: 'execution.failed' };
  return null;
}

export function callbackPayload(event: ExecutionEvent, type: CallbackEvent, now: Date): string {
  return JSON.stringify({
    type,
    timestamp: now.toISOString(),
    data: {
      execution_id: event.execution_id,
      workflow_id: event.workflow_id,
      workflow_version: event.workflow_version,
      status: event.status,
      final_output: event.final_output_json === null ? null : (JSON.parse(event.final_output_json) as unknown),
      error: event.error,
      created_at: event.created_at,
      started_at: event.started_at,
      finished_at: event.finished_at,
    },
  });
}

const MAX_KEPT_RESPONSE = 1_024;

export async function sendSigned(opts: {
  url: string;
  webhookId: string;
  payload: string;
  signer: Webhook;
  timeoutMs: number;
  now: Date;
}): Promise<DeliveryAttempt & { retryable: boolean }> {
  const started = Date.now();
  const signature = opts.signer.sign(opts.webhookId, opts.now, opts.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Flowgate-Callback/0.1',
    'webhook-id': opts.webhookId,
    'webhook-timestamp': String(Math.floor(opts.now.getTime() / 1000)),
    'webhook-signature': signature,
  };
  return inSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'url.full': opts.url } }, async () => {
    propagation.inject(context.active(), headers);
    try {
      const res = await request(opts.url, { method: 'POST', headers, body: opts.payload, signal: AbortSignal.timeout(opts.timeoutMs) });
      const text = (await res.body.text()).slice(0, MAX_KEPT_RESPONSE);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        at: opts.now,
        status_code: res.statusCode,
        latency_ms: Date.now() - started,
        error: ok ? null : `HTTP ${res.statusCode}`,
        response_body: text,
        retryable: !ok && (res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408),
      };
    } catch (err) {
      return {
        at: opts.now,
        status_code: null,
        latency_ms: Date.now() - started,
        error: (err as Error).message,
        response_body: null,
        retryable: true,
      };
    }
  });
}
