import { createHash } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import {
  checkQuota,
  dayWindow,
  effectiveLimits,
  EXECUTION_STATUSES,
  monthWindow,
  reserveUnits,
  returnUnits,
  unitBatch,
  TERMINAL_STATUSES,
  type QuotaLimits,
  type QuotaRefusal,
} from '@flowgate/core';
import { workspaceQuotas, type Collections, type LiveExecutions } from '@flowgate/store';
import type { KvCounter } from './kv-counter';

/**
 * Workspace quotas at the door (ADR 0009). Executions per UTC day / month are counters in NATS KV
 * (one key per workspace and window, compare-and-set, shared by every ingress replica), kept only
 * while the quota is limited; replicas reserve units from them in batches (ADR 0012), so a counter
 * includes units reserved and not yet used (given back within UNIT_LEASE_MS); parallel executions are counted from the executions that have not
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

/** How long a replica keeps reserved quota units it does not use before giving them back. */
export const UNIT_LEASE_MS = 2_000;
/**
 * How long a replica answers a full window counter's refusal from memory (units given back by
 * other replicas, at most UNIT_LEASE_MS after they were reserved, are seen after it): an exhausted
 * workspace's refusals cost no NATS round trip each, so they do not load the replica for the others.
 */
export const FULL_MEMO_MS = 500;
/** Bound on one request's turns at a pool that concurrent requests keep emptying. */
const MAX_TURNS = 1_000;

interface Pool {
  units: number;
  /** The limit the units were reserved under. */
  limit: number;
  lapsesAt: number;
}

export class QuotaGate {
  private readonly cache = new Map<string, { limits: QuotaLimits; until: number }>();
  /** Units reserved from each window counter and not used yet. */
  private readonly pools = new Map<string, Pool>();
  private readonly reserving = new Map<string, Promise<{ used: number } | null>>();
  /** Requests of this replica waiting for units, per counter key. */
  private readonly waiting = new Map<string, number>();
  /** Counters found full, per key: refused from memory until `until` (for the limit they were full under). */
  private readonly full = new Map<string, { until: number; used: number; limit: number }>();

  constructor(
    private readonly store: Collections,
    private readonly counters: KvCounter,
    readonly defaults: QuotaLimits,
    private readonly cacheMs: number,
    /** Live executions (NATS KV): the parallel quota counts a workspace's keys there, fresh on every replica. */
    private readonly live: LiveExecutions,
    /** Live ingress replicas (replicas.ts), for the batch size. */
    private readonly replicas: () => number = () => 1,
    /** Told of every refusal (`flowgate_quota_refusals_total`). */
    private readonly onRefused: (workspaceId: string, quota: QuotaRefusal['quota']) => void = () => undefined,
  ) {}

  /** The workspace's limits (its overrides over the defaults), cached for FLOWGATE_QUOTA_CACHE_MS. */
  async limitsOf(workspaceId: string, fresh = false): Promise<QuotaLimits> {
    const cached = this.cache.get(workspaceId);
    if (!fresh && cached && cached.until > Date.now()) return cached.limits;
    let overrides;
    try {
      overrides = await workspaceQuotas(this.store.workspaces, workspaceId);
    } catch (err) {
      // MongoDB away: the limits known last still hold, so webhooks stay accepted (ADR 0012).
      if (cached) return cached.limits;
      throw err;
    }
    const limits = effectiveLimits(this.defaults, overrides);
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
   * Counts one more execution or throws 429 quota_exceeded (with Retry-After). Units come from this
   * replica's pool of each window counter; an empty pool reserves a batch from the shared counter,
   * incremented only while below its limit (compare-and-set), so requests on any number of replicas
   * never pass it together. The batch is a share of the units left (1, i.e. exact, when few are
   * left: ADR 0012). If the month is full after the day was counted, the day unit goes back.
   */
  async reserve(workspaceId: string, now = new Date()): Promise<Reservation> {
    const limits = await this.limitsOf(workspaceId);
    if (limits.executionsPerDay === 0 && limits.executionsPerMonth === 0 && limits.parallelExecutions === 0) return NOTHING;
    const parallel = limits.parallelExecutions > 0 ? await this.countParallel(workspaceId, limits.parallelExecutions) : 0;
    const refuse = (r: QuotaRefusal | null): never => {
      const refusal = r ?? { quota: 'executions_per_day', limit: limits.executionsPerDay, retryAfterS: 1 };
      this.onRefused(workspaceId, refusal.quota);
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
    const release = () => {
      for (const key of taken) this.giveBack(key, 1);
      taken.length = 0;
      return Promise.resolve();
    };
    const windows = [
      { kind: 'day' as const, limit: limits.executionsPerDay, window: dayWindow(now) },
      { kind: 'month' as const, limit: limits.executionsPerMonth, window: monthWindow(now) },
    ];
    for (const { kind, limit, window } of windows) {
      if (limit === 0) continue;
      const key = quotaKey(workspaceId, kind, window.key);
      const got = await this.takeUnit(key, limit);
      if (!got.ok) {
        usage[kind] = got.used;
        await release();
        refuse(checkQuota(limits, usage, now));
      }
      taken.push(key);
    }
    return { release };
  }

  /** One unit of a window counter: from the pool, else a batch reserved from the shared counter. */
  private async takeUnit(key: string, limit: number): Promise<{ ok: true } | { ok: false; used: number }> {
    const full = this.full.get(key);
    if (full && full.limit === limit && full.until > Date.now() && !(this.pools.get(key)?.units ?? 0)) return { ok: false, used: full.used };
    const stale = this.pools.get(key);
    if (stale && stale.limit !== limit) {
      // Units reserved under another limit (the workspace changed it) go back before any is used.
      this.pools.delete(key);
      if (stale.units > 0) await this.counters.change(key, (current) => returnUnits(current, stale.units));
    }
    // Until a unit is ours or the counter is full: concurrent requests of this replica share each batch.
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const pool = this.pools.get(key);
      if (pool && pool.units > 0) {
        pool.units--;
        pool.lapsesAt = Date.now() + UNIT_LEASE_MS;
        return { ok: true };
      }
      this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
      let refused: { used: number } | null;
      try {
        refused = await (this.reserving.get(key) ?? this.reserveBatch(key, limit));
      } finally {
        const left = (this.waiting.get(key) ?? 1) - 1;
        if (left > 0) this.waiting.set(key, left);
        else this.waiting.delete(key);
      }
      if (refused) return { ok: false, used: refused.used };
    }
    return { ok: false, used: limit };
  }

  /** Reserves a batch of units into the pool (one reservation per key at a time); resolves with the usage when the counter is full. */
  private reserveBatch(key: string, limit: number): Promise<{ used: number } | null> {
    const run = this.counters
      // A share of what is left, plus a unit for every request of this replica already waiting (used at once).
      .change(
        key,
        (current) =>
          reserveUnits(current, limit, unitBatch(limit, current, this.replicas()) + (this.waiting.get(key) ?? 1) - 1)?.next ?? null,
      )
      .then(({ before, changed, after }) => {
        if (!changed) {
          if (this.full.size >= 10_000) this.full.clear();
          this.full.set(key, { until: Date.now() + FULL_MEMO_MS, used: before, limit });
          return { used: before };
        }
        this.full.delete(key);
        const units = (this.pools.get(key)?.units ?? 0) + (after - before);
        this.pools.set(key, { units, limit, lapsesAt: Date.now() + UNIT_LEASE_MS });
        return null;
      })
      .finally(() => this.reserving.delete(key));
    this.reserving.set(key, run);
    return run;
  }

  /** A unit not used after all goes back to the pool (or to the counter when the pool is gone). */
  private giveBack(key: string, units: number): void {
    const pool = this.pools.get(key);
    if (pool) {
      pool.units += units;
      return;
    }
    void this.counters.change(key, (current) => returnUnits(current, units)).catch(() => undefined);
  }

  /** Returns the units of pools unused for UNIT_LEASE_MS (all of them with `all`) to their counters. */
  async returnLapsed(all = false): Promise<void> {
    const now = Date.now();
    const lapsed = [...this.pools.entries()].filter(([, p]) => all || p.lapsesAt <= now);
    await Promise.all(
      lapsed.map(async ([key, pool]) => {
        this.pools.delete(key);
        if (pool.units > 0) await this.counters.change(key, (current) => returnUnits(current, pool.units));
      }),
    );
  }

  /** Starts giving back lapsed units periodically; `stop` gives back every unit held. */
  start(onError: (err: unknown) => void): { stop(): Promise<void> } {
    const timer = setInterval(() => void this.returnLapsed().catch(onError), UNIT_LEASE_MS / 2);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await this.returnLapsed(true).catch(onError);
      },
    };
  }
}
