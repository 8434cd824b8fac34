import { messageIds, type Subjects, type TimerCommand } from '@flowgate/contracts';
import { publishJson, startPollLoop, type JetStreamClient, type Logger, type PollLoop } from '@flowgate/kit';
import { deleteFiredTimers, dueTimers, type Collections, type TimerDoc } from '@flowgate/store';
import type { Counter, Histogram } from 'prom-client';

/**
 * Fires due timers while this replica holds the scheduler lease: publish each timer command
 * (message id = timer id + due time, so a repeated fire is de-duplicated by JetStream), then delete
 * the fired timers. A crash between the two re-fires the same message ids, which the stream drops
 * (counted as duplicate fires) and the executor would ignore anyway. The lease is checked before
 * every batch, so a replica that lost it stops within one batch. Only pending timers are kept, so
 * the due-timer query stays cheap even where it cannot use an index (FerretDB).
 */
export interface FirerDeps {
  store: Collections;
  js: JetStreamClient;
  subjects: Subjects;
  logger: Logger;
  tickMs: number;
  batch: number;
  /** Whether this replica may fire now (the lease). */
  leading: () => boolean;
  fired: Counter<string>;
  duplicates: Counter<string>;
  lag: Histogram<string>;
  now?: () => Date;
}

const PUBLISH_PARALLELISM = 64;

export class TimerFirer {
  private loop: PollLoop | undefined;
  private stopped = false;

  constructor(private readonly deps: FirerDeps) {}

  start(): void {
    this.loop = startPollLoop(
      () => this.drain(),
      this.deps.tickMs,
      (err) => this.deps.logger.error({ err }, 'timer tick failed'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.stop();
  }

  /** Fires batches until nothing more is due (or the lease is gone). */
  private async drain(): Promise<void> {
    while (!this.stopped && (await this.tick()) === this.deps.batch);
  }

  /** Fires one batch of due timers; returns how many were due. */
  async tick(): Promise<number> {
    if (!this.deps.leading()) return 0;
    const now = (this.deps.now ?? (() => new Date()))();
    const due = await dueTimers(this.deps.store.timers, now, this.deps.batch);
    if (!this.deps.leading()) return 0;
    // Published (first time) or found already in the stream (fired before a crash): either way done.
    const fired: TimerDoc[] = [];
    const done: string[] = [];
    for (let i = 0; i < due.length; i += PUBLISH_PARALLELISM) {
      const chunk = due.slice(i, i + PUBLISH_PARALLELISM);
      await Promise.all(
        chunk.map(async (timer) => {
          if (await this.publish(timer)) fired.push(timer);
          done.push(timer._id);
        }),
      );
    }
    await deleteFiredTimers(this.deps.store.timers, done);
    const firedAt = Date.now();
    for (const timer of fired) {
      this.deps.fired.inc({ kind: timer.kind });
      this.deps.lag.observe({ kind: timer.kind }, Math.max(0, (firedAt - timer.due_at.getTime()) / 1000));
    }
    return due.length;
  }

  /** Publishes one timer command; false if the stream had it already (fired before). */
  private async publish(timer: TimerDoc): Promise<boolean> {
    const dueAt = timer.due_at.toISOString();
    const command: TimerCommand = {
      type: 'timer',
      timer_id: timer._id,
      kind: timer.kind,
      workspace_id: timer.workspace_id,
      execution_id: timer.execution_id,
      due_at: dueAt,
    };
    const subject = this.deps.subjects.command('timer', timer.workspace_id);
    const { duplicate } = await publishJson(this.deps.js, subject, command, messageIds.timer(timer._id, dueAt));
    if (duplicate) this.deps.duplicates.inc({ kind: timer.kind });
    return !duplicate;
  }
}
