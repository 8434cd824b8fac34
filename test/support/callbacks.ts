import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Received } from './receiver';
import { request, sleep, type Stack } from './stack';

/** Helpers of the callback tests: start executions, follow their deliveries, read signatures. */

/** A published workflow whose executions succeed (or fail) at once and call `url`. */
export async function callbackWorkflow(
  stack: Stack,
  url: string,
  opts: { fail?: boolean; apiKey?: string; name?: string } = {},
): Promise<{ id: string; async: string }> {
  const definition = {
    name: opts.name ?? 'callback',
    ...(opts.fail ? { on_failure_url: url } : { on_success_url: url }),
    steps: [
      opts.fail
        ? { id: 'boom', type: 'fail', message: 'failed on purpose' }
        : { id: 'answer', type: 'transform', expression: '{"answer": trigger.body.n}' },
    ],
  };
  const auth: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const created = await stack.api('POST', '/v1/workflows', definition, auth);
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
  const published = await stack.api('POST', `/v1/workflows/${created.body.id}/publish`, undefined, auth);
  if (published.status !== 201) throw new Error(`publish failed: ${published.status} ${published.text}`);
  return { id: created.body.id, async: created.body.triggers.production.async };
}

/** Fires a webhook; returns the execution id. */
export async function fire(url: string, body: unknown = { n: 42 }): Promise<string> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status} ${res.text}`);
  return res.body.execution_id as string;
}

/** Polls the delivery of an execution (GET /v1/deliveries?execution_id=) until `until` holds. */
export async function deliveryOf(
  stack: Stack,
  executionId: string,
  until: (d: any) => boolean = (d) => d.status !== 'pending',
  opts: { timeoutMs?: number; apiKey?: string } = {},
): Promise<any> {
  const auth: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  while (Date.now() < deadline) {
    const list = await stack.api('GET', `/v1/deliveries?execution_id=${executionId}`, undefined, auth);
    const [summary] = list.body?.data ?? [];
    if (summary) {
      const full = await stack.api('GET', `/v1/deliveries/${summary.id}`, undefined, auth);
      last = full.body;
      if (full.status === 200 && until(full.body)) return full.body;
    }
    await sleep(100);
  }
  throw new Error(`delivery of ${executionId} did not reach the expected state: ${JSON.stringify(last)}`);
}

/** The requests a receiver got for one execution. */
export const requestsFor = (requests: Received[], executionId: string): Received[] => requests.filter((r) => r.body.includes(executionId));

/** Waits until a receiver got `count` requests for an execution. */
export async function waitForRequests(requests: Received[], executionId: string, count: number, timeoutMs = 15_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  while (requestsFor(requests, executionId).length < count && Date.now() < deadline) await sleep(50);
  const got = requestsFor(requests, executionId);
  if (got.length < count) throw new Error(`expected ${count} callbacks for ${executionId}, got ${got.length}`);
  return got;
}

/** The three Standard Webhooks headers of a received callback. */
export function webhookHeaders(r: Received): Record<string, string> {
  return {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
}

/** The README's verification snippet without the library, verbatim (the tests check it against real callbacks). */
export function verifyFlowgate(secret: string, headers: Record<string, string>, rawBody: string): unknown {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  if (!id || !ts || Math.abs(Date.now() / 1000 - Number(ts)) > 300) throw new Error('missing or stale webhook headers');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${rawBody}`).digest();
  const ok = (headers['webhook-signature'] ?? '').split(' ').some((s) => {
    const [version, sig] = s.split(',');
    const given = Buffer.from(sig ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new Error('bad signature');
  return JSON.parse(rawBody); // then skip it if webhook-id was already processed
}
