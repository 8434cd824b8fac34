import { createHash } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import {
  checkQuota,
  dayWindow,
  effectiveLimits,
  EXECUTION_STATUSES,
  monthWindow,
  TERMINAL_STATUSES,
  type QuotaLimits,
  type QuotaRefusal,
} from '@flowgate/core';
import type { Collections, LiveExecutions } from '@flowgate/store';
import type { KvCounter } from './kv-counter';

/**
 * Workspace quotas at the door (ADR 0009). Executions per UTC day / month are counters in NATS KV
 * (one key per workspace and window, compare-and-set, shared by every ingress replica), kept only
 * while the quota is limited; parallel executions are counted from the executions that have not
 * ended (index workspace_id + status). A refused request queues nothing.
 */
export const NON_TERMINAL_STATUSES = EXECUTION_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s));

export interface Reservation {
  /** Gives back what was counted (the execution was not accepted after all). */
  release(): Promise<void>;
}

const NOTHING: Reservation = { release: () => Promise.resolve() };

/** The KV key of a workspace's counter for one window (workspace ids are hex-encoded: KV keys allow few characters). */
export function quotaKey(workspaceId: string, kind: 'day' | 'month', windowKey: string): string {
  const ws = createHash('sha256').update(workspaceId).digest('hex').slice(0, 32);
  return `${ws}.${kind}.${windowKey}`;
}

export class QuotaGate {
  private readonly cache = new Map<string, { limits: QuotaLimits; until: number }>();

  constructor(
    private readonly store: Collections,
    private readonly counters: KvCounter,
    readonly defaults: QuotaLimits,
    private readonly cacheMs: number,
    /** Live executions (NATS KV): the parallel quota counts a workspace's keys there, fresh on every replica. */
    private readonly live: LiveExecutions,
  ) {}

  /** The workspace's limits (its overrides over the defaults), cached for FLOWGATE_QUOTA_CACHE_MS. */
  async limitsOf(workspaceId: string, fresh = false): Promise<QuotaLimits> {
    const cached = this.cache.get(workspaceId);
    if (!fresh && cached && cached.until > Date.now()) return cached.limits;
    const doc = await this.store.workspaces.findOne({ _id: workspaceId }, { projection: { quotas: 1 } });
    const limits = effectiveLimits(this.defaults, doc?.quotas);
    if (this.cacheMs > 0) this.cache.set(workspaceId, { limits, until: Date.now() + this.cacheMs });
    return limits;
  }

  /** Forgets a workspace's cached limits (after this replica changed them). */
  forget(workspaceId: string): void {
    this.cache.delete(workspaceId);
  }

  async countParallel(workspaceId: string, limit?: number): Promise<number> {
    return this.live.countLive(workspaceId, limit);
  }

  /** Executions counted in the current window (0 when it is not counted). */
  used(workspaceId: string, kind: 'day' | 'month', now = new Date()): Promise<number> {
    return this.counters.read(quotaKey(workspaceId, kind, (kind === 'day' ? dayWindow(now) : monthWindow(now)).key));
  }

  /** Raises a window's counter to at least `count` (a quota set mid-window starts from what was used). */
  async raise(workspaceId: string, kind: 'day' | 'month', count: number, now = new Date()): Promise<void> {
    const key = quotaKey(workspaceId, kind, (kind === 'day' ? dayWindow(now) : monthWindow(now)).key);
    await this.counters.change(key, (current) => (count > current ? count : null));
  }

  /**
   * Counts one more execution or throws 429 quota_exceeded (with Retry-After). Each counter is
   * incremented only while below its limit (compare-and-set), so requests on any number of
   * replicas never pass it together; if the month is full after the day was counted, the day is
   * given back.
   */
  async reserve(workspaceId: string, now = new Date()): Promise<Reservation> {
    const limits = await this.limitsOf(workspaceId);
    if (limits.executionsPerDay === 0 && limits.executionsPerMonth === 0 && limits.parallelExecutions === 0) return NOTHING;
    const parallel = limits.parallelExecutions > 0 ? await this.countParallel(workspaceId, limits.parallelExecutions) : 0;
    const refuse = (r: QuotaRefusal | null): never => {
      const refusal = r ?? { quota: 'executions_per_day', limit: limits.executionsPerDay, retryAfterS: 1 };
      throw new ApiError(
        'quota_exceeded',
        `Workspace quota ${refusal.quota} (${refusal.limit}) is used up`,
        { quota: refusal.quota, limit: refusal.limit, retry_after_s: refusal.retryAfterS },
        { 'Retry-After': String(refusal.retryAfterS) },
      );
    };
    const usage = { day: 0, month: 0, parallel };
    const early = checkQuota(limits, usage, now);
    if (early) refuse(early);

    const taken: string[] = [];
    const release = async () => {
      await Promise.all(taken.map((key) => this.counters.change(key, (current) => (current > 0 ? current - 1 : null))));
    };
    const windows = [
      { kind: 'day' as const, limit: limits.executionsPerDay, window: dayWindow(now) },
      { kind: 'month' as const, limit: limits.executionsPerMonth, window: monthWindow(now) },
    ];
    for (const { kind, limit, window } of windows) {
      if (limit === 0) continue;
      const key = quotaKey(workspaceId, kind, window.key);
      const { before, changed } = await this.counters.change(key, (current) => (current < limit ? current + 1 : null));
      usage[kind] = before;
      if (!changed) {
        await release();
        refuse(checkQuota(limits, usage, now));
      }
      taken.push(key);
    }
    return { release };
  }
}
