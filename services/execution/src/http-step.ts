import { egressForbiddenOf, inSpan, SpanKind } from '@flowgate/kit';
import type { HttpRequestPlan, StepOutcome } from '@flowgate/core';
import { context, propagation } from '@opentelemetry/api';
import { request, type Dispatcher } from 'undici';

/**
 * Performs an `http` step: one attempt, bounded in time and response size. Sends
 * `Idempotency-Key: <execution id>:<step id>` on every attempt so receivers can de-duplicate retries
 * and re-runs after a crash. Network errors, 5xx and 429 are retryable (honouring Retry-After).
 * With a `dispatcher` from the egress policy, a destination the SSRF guard refuses (private,
 * loopback, link-local… and not allow-listed) fails the step for good with `egress_forbidden`.
 */
export interface HttpStepOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  idempotencyKey: string;
  signal?: AbortSignal;
  /** The workspace's guarded dispatcher (EgressPolicy.dispatcherFor); unset = undici's global one. */
  dispatcher?: Dispatcher | undefined;
}

function buildUrl(plan: HttpRequestPlan): URL {
  const url = new URL(plan.url);
  for (const [k, v] of Object.entries(plan.query)) url.searchParams.append(k, v);
  return url;
}

const CONTENT_TYPES = { json: 'application/json', form: 'application/x-www-form-urlencoded', text: 'text/plain; charset=utf-8' };

/** JSON for objects, text for strings, or the step's `body_format`; a Content-Type the step sets wins. */
function encodeBody(plan: HttpRequestPlan, headers: Record<string, string>): string | undefined {
  if (plan.body === undefined || plan.body === null || plan.method === 'GET' || plan.method === 'HEAD') return undefined;
  const format = plan.bodyFormat ?? (typeof plan.body === 'string' ? 'text' : 'json');
  const setType = !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (setType && (plan.bodyFormat !== undefined || format === 'json')) headers['content-type'] = CONTENT_TYPES[format];
  if (typeof plan.body === 'string') return plan.body;
  if (format !== 'form') return JSON.stringify(plan.body);
  const form = new URLSearchParams();
  if (!Array.isArray(plan.body) && typeof plan.body === 'object')
    for (const [k, v] of Object.entries(plan.body)) form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  return form.toString();
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export async function runHttpStep(stepId: string, plan: HttpRequestPlan, opts: HttpStepOptions): Promise<StepOutcome> {
  let url: URL;
  try {
    url = buildUrl(plan);
  } catch {
    return {
      ok: false,
      error: { code: 'invalid_url', message: `step "${stepId}": invalid URL "${plan.url}"`, step_id: stepId },
      retryable: false,
    };
  }
  const headers: Record<string, string> = { ...plan.headers, 'idempotency-key': opts.idempotencyKey };
  const body = encodeBody(plan, headers);
  return inSpan(
    plan.method,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': plan.method, 'url.full': url.origin + url.pathname, 'server.address': url.hostname },
    },
    async (): Promise<StepOutcome> => {
      propagation.inject(context.active(), headers);
      // One controller per attempt, its timer cleared when the attempt ends: AbortSignal.timeout +
      // AbortSignal.any would keep a timer and two signals alive for the whole timeout after the
      // step answered (Node 20), thousands of them under load.
      const abort = new AbortController();
      const timer = setTimeout(
        () => abort.abort(new DOMException(`no answer within ${opts.timeoutMs} ms`, 'TimeoutError')),
        opts.timeoutMs,
      );
      const cancelled = () => abort.abort(opts.signal?.reason);
      if (opts.signal?.aborted) cancelled();
      else opts.signal?.addEventListener('abort', cancelled, { once: true });
      try {
        const res = await request(url, {
          method: plan.method,
          headers,
          body,
          signal: abort.signal,
          ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
        });
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > opts.maxResponseBytes) {
            res.body.destroy();
            return {
              ok: false,
              error: {
                code: 'response_too_large',
                message: `step "${stepId}": response above ${opts.maxResponseBytes} bytes`,
                step_id: stepId,
              },
              retryable: false,
            };
          }
          chunks.push(chunk as Buffer);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        const type = String(res.headers['content-type'] ?? '');
        let parsed: unknown = text;
        if (type.includes('json') && text.length > 0) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        const responseHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
        const output = { status: res.statusCode, headers: responseHeaders, body: parsed };
        if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, output };
        const retryable = res.statusCode >= 500 || res.statusCode === 429;
        const wait = retryAfterMs(res.headers['retry-after']);
        return {
          ok: false,
          error: {
            code: 'http_error',
            message: `step "${stepId}": ${plan.method} ${url.origin}${url.pathname} answered ${res.statusCode}`,
            step_id: stepId,
          },
          retryable,
          ...(wait !== undefined ? { retryAfterMs: wait } : {}),
        };
      } catch (err) {
        const refused = egressForbiddenOf(err);
        if (refused)
          return {
            ok: false,
            error: { code: refused.code, message: `step "${stepId}": ${refused.message}`, step_id: stepId },
            retryable: false,
          };
        const timedOut = (err as Error).name === 'TimeoutError';
        return {
          ok: false,
          error: {
            code: timedOut ? 'http_timeout' : 'http_network_error',
            message: `step "${stepId}": ${timedOut ? `no answer within ${opts.timeoutMs} ms` : (err as Error).message}`,
            step_id: stepId,
          },
          retryable: true,
        };
      } finally {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', cancelled);
      }
    },
  );
}
