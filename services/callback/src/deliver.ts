import type { ExecutionEvent } from '@flowgate/contracts';
import { egressForbiddenOf, inSpan, SpanKind } from '@flowgate/kit';
import type { DeliveryAttempt, DeliveryDoc } from '@flowgate/store';
import { context, propagation } from '@opentelemetry/api';
import type { Webhook } from 'standardwebhooks';
import { request, type Dispatcher } from 'undici';

/** Builds and sends one signed callback attempt (Standard Webhooks). */

export type CallbackEvent = DeliveryDoc['event'];

/** Where an event is delivered, if anywhere, and the delivery id (also the `webhook-id`). */
export function callbackTarget(event: ExecutionEvent): { url: string; type: CallbackEvent; id: string } | null {
  const target = targetOf(event);
  if (!target) return null;
  // An execution can ask for approval more than once: those deliveries are told apart by step.
  const id =
    target.type === 'execution.approval_required'
      ? `${event.execution_id}.${target.type}.${event.step_seq}`
      : `${event.execution_id}.${target.type}`;
  return { ...target, id };
}

function targetOf(event: ExecutionEvent): { url: string; type: CallbackEvent } | null {
  if (event.status === 'waiting' && event.waiting_reason === 'approval' && event.on_approval_required_url)
    return { url: event.on_approval_required_url, type: 'execution.approval_required' };
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
      ...(type === 'execution.approval_required' ? { approval: event.waiting_payload, expires_at: event.waiting_expires_at } : {}),
    },
  });
}

/** How much of a receiver's answer is kept in the delivery log (and read at all). */
export const MAX_KEPT_RESPONSE_BYTES = 1_024;

/** Network errors, timeouts, 408, 429 and 5xx are retried; any other answer is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The `webhook-signature` header: one `v1,<base64>` per valid secret, space-separated (current first). */
export function signatureHeader(signers: Webhook[], webhookId: string, at: Date, payload: string): string {
  return signers.map((s) => s.sign(webhookId, at, payload)).join(' ');
}

export type AttemptResult = Omit<DeliveryAttempt, 'cycle' | 'attempt'> & { retryable: boolean };

export async function sendSigned(opts: {
  url: string;
  webhookId: string;
  payload: string;
  signers: Webhook[];
  timeoutMs: number;
  dispatcher: Dispatcher;
  now: Date;
}): Promise<AttemptResult> {
  const started = Date.now();
  const failure = (code: string, error: string, retryable: boolean): AttemptResult => ({
    at: opts.now,
    status_code: null,
    latency_ms: Date.now() - started,
    error,
    error_code: code,
    response_body: null,
    retryable,
  });
  let target: URL;
  try {
    target = new URL(opts.url);
  } catch {
    return failure('invalid_url', `not a valid URL: ${opts.url}`, false);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return failure('invalid_url', 'only http and https URLs are called', false);

  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Flowgate-Callback/0.1',
    'webhook-id': opts.webhookId,
    'webhook-timestamp': String(Math.floor(opts.now.getTime() / 1000)),
    'webhook-signature': signatureHeader(opts.signers, opts.webhookId, opts.now, opts.payload),
  };
  return inSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'url.full': opts.url } }, async () => {
    propagation.inject(context.active(), headers);
    const signal = AbortSignal.timeout(opts.timeoutMs);
    try {
      const res = await request(target, {
        method: 'POST',
        headers,
        body: opts.payload,
        signal,
        dispatcher: opts.dispatcher,
      });
      const text = await readCapped(res.body, MAX_KEPT_RESPONSE_BYTES);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        at: opts.now,
        status_code: res.statusCode,
        latency_ms: Date.now() - started,
        error: ok ? null : `HTTP ${res.statusCode}`,
        error_code: ok ? null : 'http_status',
        response_body: text,
        retryable: !ok && isRetryableStatus(res.statusCode),
      };
    } catch (err) {
      const forbidden = egressForbiddenOf(err);
      if (forbidden) return failure('egress_forbidden', forbidden.message, false);
      if (signal.aborted) return failure('timeout', `no complete answer within ${opts.timeoutMs} ms`, true);
      const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
      const code = e.code ?? e.cause?.code;
      return failure('network', `${code ? `${code}: ` : ''}${e.cause?.message ?? e.message}`, true);
    }
  });
}

/** Reads at most `max` bytes of a body, then drops the rest (the connection is closed, not drained). */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) break;
  }
  if (size >= max) body.destroy();
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
