import { retentionTargets, type RetentionTarget } from '@flowgate/core';
import type { Logger } from '@flowgate/kit';
import {
  expiredExecutions,
  NOTHING_REMOVED,
  removeExecutionHistory,
  retentionSettings,
  withPendingDeliveries,
  type Collections,
  type RemovedHistory,
} from '@flowgate/store';
import type { Counter, Histogram } from 'prom-client';

/**
 * Retention (ADR 0020): removes the history of executions that ended longer ago than their
 * workspace's (or workflow's) retention. Runs in the scheduler while this replica holds its lease,
 * a first pass shortly after start-up and then one every `intervalMs`. A pass computes the targets
 * (core `retentionTargets`) and, for each, removes batches of at most `batch` executions with their
 * step records, deliveries and stored payloads, pausing `pauseMs` between batches so the services
 * on the hot path keep their share of the store. It stops between batches when the lease is lost or
 * the service shuts down; what is left goes at the next pass (every step is idempotent).
 *
 * An execution with a callback delivery still pending (attempted or waiting for a retry) is kept
 * back whole — execution, steps and deliveries — until the delivery settled: a later pass takes it.
 */
export interface RetentionSweeperDeps {
  store: Collections;
  logger: Logger;
  leading: () => boolean;
  /** FLOWGATE_RETENTION_DAYS: the retention of workspaces without their own. */
  defaultDays: number;
  batch: number;
  pauseMs: number;
  intervalMs: number;
  /** Delay of the first pass after start-up. */
  firstPassMs: number;
  removed: Counter<'kind'>;
  duration: Histogram<string>;
  now?: () => Date;
}

/** The kinds `flowgate_retention_removed_total` counts. */
export const KINDS = ['executions', 'steps', 'deliveries', 'payloads'] as const;

/** Executions kept back (a pending delivery) per target and pass, at most: past that the target waits for the next pass. */
const MAX_KEPT_BACK = 1_000;

export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly deps: RetentionSweeperDeps) {
    for (const kind of KINDS) deps.removed.inc({ kind }, 0); // every series from the start
  }

  start(): void {
    this.schedule(this.deps.firstPassMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then(
          () => undefined,
          (err: unknown) => this.deps.logger.warn({ err }, 'retention sweep failed; the next one goes on'),
        )
        .finally(() => {
          this.running = null;
          this.schedule(this.deps.intervalMs);
        });
    }, ms);
  }

  /** One pass over every target (nothing without the lease); what it removed. */
  async sweep(): Promise<RemovedHistory> {
    if (!this.deps.leading()) return NOTHING_REMOVED;
    const started = process.hrtime.bigint();
    const now = (this.deps.now ?? (() => new Date()))();
    const settings = await retentionSettings(this.deps.store);
    const targets = retentionTargets(settings.workspaces, settings.overrides, this.deps.defaultDays, now);
    const total = { ...NOTHING_REMOVED };
    for (const target of targets) {
      if (!this.mayGoOn()) break;
      const removed = await this.sweepTarget(target);
      for (const kind of KINDS) total[kind] += removed[kind];
      total.leftovers += removed.leftovers;
    }
    this.deps.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (total.executions > 0)
      this.deps.logger.info(
        { removed: total, targets: targets.length, duration_ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'retention sweep removed ended executions',
      );
    return total;
  }

  private async sweepTarget(target: RetentionTarget): Promise<RemovedHistory> {
    const total = { ...NOTHING_REMOVED };
    const keptBack: string[] = [];
    while (this.mayGoOn()) {
      const batchStarted = Date.now();
      const found = await expiredExecutions(this.deps.store, target, this.deps.batch, keptBack);
      if (found.length === 0) break;
      const pending = await withPendingDeliveries(
        this.deps.store,
        target.workspaceId,
        found.map((e) => e._id),
      );
      keptBack.push(...pending);
      const removed = await removeExecutionHistory(
        this.deps.store,
        target.workspaceId,
        found.filter((e) => !pending.has(e._id)),
      );
      for (const kind of KINDS) {
        total[kind] += removed[kind];
        if (removed[kind] > 0) this.deps.removed.inc({ kind }, removed[kind]);
      }
      total.leftovers += removed.leftovers;
      this.deps.logger.debug(
        {
          workspace_id: target.workspaceId,
          workflow_id: target.workflowId,
          found: found.length,
          kept_back: pending.size,
          removed,
          ms: Date.now() - batchStarted,
        },
        'retention batch',
      );
      if (found.length < this.deps.batch || keptBack.length > MAX_KEPT_BACK) break;
      await this.pause();
    }
    return total;
  }

  private mayGoOn(): boolean {
    return !this.stopping && this.deps.leading();
  }

  /** Waits between batches; a shutdown ends the wait at once. */
  private pause(): Promise<void> {
    if (this.deps.pauseMs <= 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      let t: NodeJS.Timeout | undefined = undefined;
      const done = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      t = setTimeout(done, this.deps.pauseMs);
      this.wake = done;
    });
  }
}
