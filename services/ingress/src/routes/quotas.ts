import { dayWindow, monthWindow, windowStart, type QuotaLimits } from '@flowgate/core';
import { countExecutionsSince, setWorkspaceQuotas, workspaceQuotas as storedQuotas, type Collections } from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { route, type RouteTable } from '../http/route';
import { workspaceQuotas } from '../schemas/access';
import type { QuotaGate } from '../quotas';

/**
 * `/v1/workspace/quotas`: the workspace's quota limits with current usage (admin scope), and its
 * overrides of the deployment defaults (FLOWGATE_QUOTA_*), set by the operator (operator scope, or
 * `PATCH /v1/workspaces/{id}`). A value of 0 is unlimited, null the default.
 */
const limitValue = z
  .number()
  .int()
  .min(0)
  .max(1_000_000_000)
  .nullable()
  .optional()
  .describe('0 = unlimited, null or absent = the deployment default');
/** A workspace's quota overrides (also in the operator's /v1/workspaces bodies). */
export const quotaOverrides = z
  .object({ executions_per_day: limitValue, executions_per_month: limitValue, parallel_executions: limitValue })
  .strict();

export const quotaSpecs = {
  get: route({
    method: 'get',
    path: '/v1/workspace/quotas',
    summary: 'Quota limits (workspace override or deployment default) and current usage; admin scope',
    security: { apiKey: 'admin' },
    responses: { '200': { description: 'Quotas', schema: workspaceQuotas } },
  }),
  replace: route({
    method: 'put',
    path: '/v1/workspace/quotas',
    summary:
      "Replace the operator's own workspace quota overrides (operator scope; other workspaces: PATCH /v1/workspaces/{id}); " +
      'over a quota, starts answer 429 quota_exceeded with Retry-After',
    security: { apiKey: 'operator' },
    body: quotaOverrides,
    bodyRequired: true,
    hint: 'Body must be {"executions_per_day", "executions_per_month", "parallel_executions"}: each an integer ≥ 0 (0 = unlimited) or null (the default)',
    responses: { '200': { description: 'Quotas now', schema: workspaceQuotas } },
  }),
};

export function quotaRoutes(table: RouteTable, deps: { store: Collections; quotas: QuotaGate }): void {
  const { store, quotas } = deps;

  /** Executions started in the window: the counter while the quota is limited, else counted from executions. */
  const usedIn = async (workspaceId: string, kind: 'day' | 'month', limit: number, now: Date): Promise<number> => {
    if (limit > 0) return quotas.used(workspaceId, kind, now);
    return countExecutionsSince(store.executions, workspaceId, windowStart(kind, now));
  };

  const view = async (workspaceId: string, limits: QuotaLimits, overrides: Record<string, number | null | undefined> | undefined) => {
    const now = new Date();
    const [day, month, parallel] = await Promise.all([
      usedIn(workspaceId, 'day', limits.executionsPerDay, now),
      usedIn(workspaceId, 'month', limits.executionsPerMonth, now),
      quotas.countParallel(workspaceId),
    ]);
    const source = (name: string) => (typeof overrides?.[name] === 'number' ? 'workspace' : 'default');
    return {
      executions_per_day: {
        limit: limits.executionsPerDay,
        used: day,
        resets_at: dayWindow(now).resetsAt.toISOString(),
        source: source('executions_per_day'),
      },
      executions_per_month: {
        limit: limits.executionsPerMonth,
        used: month,
        resets_at: monthWindow(now).resetsAt.toISOString(),
        source: source('executions_per_month'),
      },
      parallel_executions: { limit: limits.parallelExecutions, used: parallel, source: source('parallel_executions') },
    };
  };

  table.mount(quotaSpecs.get, async (req, res) => {
    const workspaceId = workspaceOf(req);
    const overrides = await storedQuotas(store.workspaces, workspaceId);
    res.json(await view(workspaceId, await quotas.limitsOf(workspaceId, true), overrides));
  });

  /** Replaces the overrides: a field left out or null goes back to the deployment default. */
  table.mount(quotaSpecs.replace, async (req, res) => {
    const workspaceId = workspaceOf(req);
    const overrides = {
      executions_per_day: req.body.executions_per_day ?? null,
      executions_per_month: req.body.executions_per_month ?? null,
      parallel_executions: req.body.parallel_executions ?? null,
    };
    await setWorkspaceQuotas(store.workspaces, workspaceId, overrides, new Date());
    const limits = await quotaOverridesStored(deps, workspaceId);
    res.json(await view(workspaceId, limits, overrides));
  });
}

/**
 * After a workspace's overrides were stored (here or by the operator's PATCH /v1/workspaces/{id}):
 * this replica forgets the old limits, and a quota limited from now on starts from what its window
 * already used, not from zero. Returns the limits now.
 */
export async function quotaOverridesStored(deps: { store: Collections; quotas: QuotaGate }, workspaceId: string): Promise<QuotaLimits> {
  const { store, quotas } = deps;
  const now = new Date();
  quotas.forget(workspaceId);
  const limits = await quotas.limitsOf(workspaceId, true);
  for (const kind of ['day', 'month'] as const) {
    const limit = kind === 'day' ? limits.executionsPerDay : limits.executionsPerMonth;
    if (limit === 0) continue;
    const started = await countExecutionsSince(store.executions, workspaceId, windowStart(kind, now));
    await quotas.raise(workspaceId, kind, started, now);
  }
  return limits;
}
