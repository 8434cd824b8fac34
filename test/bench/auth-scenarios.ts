import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Stack } from '../support/stack';
import { afterStartUp } from './start-up';
import { BUDGET_SETTLE_MS } from './e2e';
import type { BudgetMeter, StoreBudget } from './budget';
import { round, runLoad, warmUp, type LoadFigures } from './load';

/**
 * Async webhook accepted/s per authentication method, on the whole stack (the target is
 * "whole stack running": the executor runs what was accepted, as it would), each with
 * the trigger's token bucket in NATS KV on (set far above the load, so it is consulted, not hit).
 * Every request carries the same body and credentials: HMAC has no replay window, and the Standard
 * Webhooks timestamp stays within its 5-minute tolerance for the run. Then HMAC once more with the
 * executor stopped (its commands wait in the stream): the ingress alone on the machine.
 */
export interface AuthFigures extends LoadFigures {
  method: 'none' | 'hmac' | 'standard_webhooks';
  /** `stopped`: HMAC once more with the executor stopped, to show what the executor's share of the 2 cores costs the accept path. */
  executor: 'running' | 'stopped';
  /** accepted/s ÷ the baseline's accepted/s in the same run. */
  ratio_to_baseline: number;
  /** What the services spent on MongoDB / NATS during the load (per accepted webhook: the accept path). */
  budget: StoreBudget | null;
}

const RATE_LIMIT = { per_second: 100_000, burst: 100_000 };

export async function runAuthScenarios(opts: {
  stack: Stack;
  body: string;
  connections: number;
  durationS: number;
  warmupRequests: number;
  baselineAcceptedPerS: number;
  meter: BudgetMeter | null;
  log: (line: string) => void;
}): Promise<AuthFigures[]> {
  const { stack, body } = opts;
  const results: AuthFigures[] = [];
  // A Standard Webhooks id is the idempotency key: each request is signed over a fresh one, or every
  // request after the first would be a replay that starts nothing.
  const scenarios: {
    method: AuthFigures['method'];
    auth: unknown;
    headers: (secret: string) => Record<string, string>;
    perRequest?: boolean;
  }[] = [
    { method: 'none', auth: { type: 'none' }, headers: () => ({}) },
    {
      method: 'hmac',
      auth: { type: 'hmac', header: 'X-Signature', prefix: 'sha256=' },
      headers: (secret) => ({ 'x-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` }),
    },
    {
      method: 'standard_webhooks',
      auth: { type: 'standard_webhooks' },
      headers: (secret) => {
        const now = new Date();
        const id = `msg_${randomBytes(8).toString('hex')}`;
        return {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, now, body),
        };
      },
      perRequest: true,
    },
  ];
  const measure = async (
    scenario: (typeof scenarios)[number],
    wf: { async: string },
    secret: string,
    executor: AuthFigures['executor'],
  ): Promise<void> => {
    const headers = scenario.headers(secret);
    const target = `flowgate auth=${scenario.method}${executor === 'stopped' ? ', executor stopped' : ''}`;
    opts.log(`${target}: warm-up ${opts.warmupRequests} requests, then ${opts.durationS} s × ${opts.connections} connections …`);
    await warmUp(wf.async, body, opts.warmupRequests, opts.connections, headers);
    await afterStartUp(stack);
    // The meter scrapes every service of the stack: not with the executor stopped.
    const metered = executor === 'running' ? await opts.meter?.start(target) : undefined;
    const figures = await runLoad({
      target,
      url: wf.async,
      body,
      connections: opts.connections,
      durationS: opts.durationS,
      headers,
      ...(scenario.perRequest ? { headersPerRequest: () => scenario.headers(secret) } : {}),
    });
    if (metered) await new Promise((r) => setTimeout(r, BUDGET_SETTLE_MS));
    const budget = (await metered?.finish(figures.accepted, 0)) ?? null;
    opts.log(
      `${target}: ${figures.accepted_per_s} accepted/s` +
        (budget?.per_webhook
          ? `; per webhook (all services) ${budget.per_webhook.mongo_round_trips} MongoDB commands, ${budget.per_webhook.writes} writes, ` +
            `${budget.per_webhook.scans} scans, ${budget.per_webhook.nats_msgs_sent ?? 'n/a'} NATS messages`
          : ''),
    );
    results.push({
      ...figures,
      method: scenario.method,
      executor,
      ratio_to_baseline: opts.baselineAcceptedPerS > 0 ? round(figures.accepted_per_s / opts.baselineAcceptedPerS, 3) : 0,
      budget,
    });
  };
  let hmac: { wf: { async: string }; secret: string } | null = null;
  for (const scenario of scenarios) {
    const wf = await stack.deploy({
      name: `bench-auth-${scenario.method}`,
      max_concurrent_executions: 0,
      trigger: { webhook: { auth: scenario.auth, rate_limit: RATE_LIMIT } },
      steps: [{ id: 't', type: 'transform', expression: '{"ok": true}' }],
    });
    let secret = '';
    if (scenario.method !== 'none') {
      const added = await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, {});
      if (added.status !== 201) throw new Error(`secret for ${scenario.method}: ${added.status} ${added.text}`);
      secret = String(added.body.secret);
    }
    if (scenario.method === 'hmac') hmac = { wf, secret };
    await measure(scenario, wf, secret, 'running');
  }
  const hmacScenario = scenarios.find((s) => s.method === 'hmac');
  if (hmac && hmacScenario) {
    await stack.stopService('execution');
    await measure(hmacScenario, hmac.wf, hmac.secret, 'stopped');
    await stack.startService('execution');
  }
  return results;
}
