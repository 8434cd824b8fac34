/**
 * Workspace quotas: executions per UTC day and per UTC month, and parallel (not yet ended)
 * executions. Pure: the caller passes the time and the usage it read; 0 means unlimited.
 */
export interface QuotaLimits {
  executionsPerDay: number;
  executionsPerMonth: number;
  parallelExecutions: number;
}

export type QuotaName = 'executions_per_day' | 'executions_per_month' | 'parallel_executions';

export interface QuotaWindow {
  /** `2025-03-07` (day) or `2025-03` (month): part of the counter's key. */
  key: string;
  /** When the window ends and its counter starts from zero again. */
  resetsAt: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function dayWindow(now: Date): QuotaWindow {
  const resetsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  return { key: `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`, resetsAt };
}

export function monthWindow(now: Date): QuotaWindow {
  const resetsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { key: `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}`, resetsAt };
}

/** The start of the window that ends at `resetsAt` (for counting what happened in it). */
export function windowStart(kind: 'day' | 'month', now: Date): Date {
  return kind === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Whole seconds until `resetsAt`, at least 1: the Retry-After of a refused request. */
export function retryAfterSeconds(now: Date, resetsAt: Date): number {
  return Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
}

/** How long a caller refused for parallel executions should wait before trying again. */
export const PARALLEL_RETRY_AFTER_S = 1;

/** A workspace's override (null / absent = the deployment default) merged over the defaults. */
export function effectiveLimits(
  defaults: QuotaLimits,
  override: { executions_per_day?: number | null; executions_per_month?: number | null; parallel_executions?: number | null } | undefined,
): QuotaLimits {
  return {
    executionsPerDay: override?.executions_per_day ?? defaults.executionsPerDay,
    executionsPerMonth: override?.executions_per_month ?? defaults.executionsPerMonth,
    parallelExecutions: override?.parallel_executions ?? defaults.parallelExecutions,
  };
}

export interface QuotaRefusal {
  quota: QuotaName;
  limit: number;
  retryAfterS: number;
}

/**
 * Decides on one more execution given the usage counted so far (without it). Of several exhausted
 * quotas the one that frees up last is named, so Retry-After is never too early.
 */
export function checkQuota(limits: QuotaLimits, usage: { day: number; month: number; parallel: number }, now: Date): QuotaRefusal | null {
  const refusals: QuotaRefusal[] = [];
  if (limits.executionsPerMonth > 0 && usage.month >= limits.executionsPerMonth)
    refusals.push({
      quota: 'executions_per_month',
      limit: limits.executionsPerMonth,
      retryAfterS: retryAfterSeconds(now, monthWindow(now).resetsAt),
    });
  if (limits.executionsPerDay > 0 && usage.day >= limits.executionsPerDay)
    refusals.push({
      quota: 'executions_per_day',
      limit: limits.executionsPerDay,
      retryAfterS: retryAfterSeconds(now, dayWindow(now).resetsAt),
    });
  if (limits.parallelExecutions > 0 && usage.parallel >= limits.parallelExecutions)
    refusals.push({ quota: 'parallel_executions', limit: limits.parallelExecutions, retryAfterS: PARALLEL_RETRY_AFTER_S });
  return refusals.sort((a, b) => b.retryAfterS - a.retryAfterS)[0] ?? null;
}
