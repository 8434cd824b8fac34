import type { Stack } from '../support/stack';
import { round, runLoad, warmUp, type LoadFigures } from './load';

/**
 * Noisy neighbour (issue "Workspaces"): does one workspace that has used up its quota slow another?
 * Two workspaces made through the operator API, each with a one-step transform workflow; B's day
 * quota is a handful of executions. A is offered a fixed rate alone, then the same rate while B is
 * offered the same rate at the same time (almost all of it refused 429 quota_exceeded). An open load
 * (a fixed offered rate, not as fast as answers come) so the comparison is of latency, not of who
 * wins the two cores; the target is A's p99 beside B within 20 % of its solo p99.
 */
export interface TenantFigures {
  rate_per_s: number;
  duration_s: number;
  solo: LoadFigures;
  together: LoadFigures;
  neighbour: LoadFigures;
  /** A's p99 beside B ÷ A's p99 alone. */
  p99_ratio: number | null;
}

const B_QUOTA = 5;

async function tenant(stack: Stack, name: string, quotas?: Record<string, number>): Promise<{ url: string; warm: string }> {
  const { key } = await stack.newWorkspace(name, quotas ? { quotas } : {});
  const as = { authorization: `Bearer ${key}` };
  const deploy = async (workflow: string) => {
    const res = await stack.api(
      'POST',
      '/v1/workflows?publish=true',
      { name: workflow, max_concurrent_executions: 0, steps: [{ id: 't', type: 'transform', expression: '{"ok": true}' }] },
      as,
    );
    if (res.status !== 201) throw new Error(`workflow of ${name}: ${res.status} ${res.text}`);
    return String(res.body.triggers.production.async);
  };
  return { url: await deploy(`${name}-measured`), warm: await deploy(`${name}-warm`) };
}

export async function runTenantScenario(opts: {
  stack: Stack;
  body: string;
  ratePerS: number;
  connections: number;
  durationS: number;
  warmupRequests: number;
  log: (line: string) => void;
}): Promise<TenantFigures> {
  const { stack, body, ratePerS, connections, durationS } = opts;
  const a = await tenant(stack, 'bench-tenant-a');
  const b = await tenant(stack, 'bench-tenant-b', { executions_per_day: B_QUOTA });
  await warmUp(a.warm, body, opts.warmupRequests, connections);
  const load = (target: string, url: string) => runLoad({ target, url, body, connections, durationS, overallRate: ratePerS });
  opts.log(`tenants: A alone at ${ratePerS}/s for ${durationS} s …`);
  const solo = await load('tenant A alone', a.url);
  // Let A's executions drain so both runs start from the same state.
  await new Promise((r) => setTimeout(r, 3_000));
  opts.log(`tenants: A at ${ratePerS}/s beside B (day quota ${B_QUOTA}, used up at once) at ${ratePerS}/s …`);
  const [together, neighbour] = await Promise.all([load('tenant A beside B', a.url), load('tenant B, over its quota', b.url)]);
  const p99Ratio = solo.latency_ms.p99 > 0 ? round(together.latency_ms.p99 / solo.latency_ms.p99, 3) : null;
  opts.log(
    `tenants: A p99 ${solo.latency_ms.p99} ms alone, ${together.latency_ms.p99} ms beside B (${p99Ratio}); ` +
      `B: ${neighbour.accepted} accepted, ${neighbour.status_counts['429'] ?? 0} refused 429`,
  );
  return { rate_per_s: ratePerS, duration_s: durationS, solo, together, neighbour, p99_ratio: p99Ratio };
}
