import { messageIds, type Subjects, type TimerCommand } from '@flowgate/contracts';
import { publishJson, type JetStreamClient, type Logger } from '@flowgate/kit';
import type { Collections, TimerDoc } from '@flowgate/store';
import type { Counter, Histogram } from 'prom-client';

/**
 * Fires due timers: publish the timer command (message id = timer id + due time, so a repeated
 * fire is de-duplicated by JetStream), then delete the timer. A crash between the two re-fires the
 * same message id, which the stream drops and the executor would ignore anyway. Only pending timers
 * are kept, so the due-timer query stays cheap even where it cannot use an index (FerretDB).
 */
export class TimerFirer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: Collections;
      js: JetStreamClient;
      subjects: Subjects;
      logger: Logger;
      tickMs: number;
      batch: number;
      fired: Counter<string>;
      lag: Histogram<string>;
      now?: () => Date;
    },
  ) {}

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.tick().then(
        () => undefined,
        (err: unknown) => this.deps.logger.error({ err }, 'timer tick failed'),
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.deps.tickMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async tick(): Promise<number> {
    const now = (this.deps.now ?? (() => new Date()))();
    const due = await this.deps.store.timers
      .find({ status: 'pending', due_at: { $lte: now } })
      .sort({ due_at: 1 })
      .limit(this.deps.batch)
      .toArray();
    for (const timer of due) await this.fire(timer, now);
    return due.length;
  }

  private async fire(timer: TimerDoc, now: Date): Promise<void> {
    const dueAt = timer.due_at.toISOString();
    const command: TimerCommand = {
      type: 'timer',
      timer_id: timer._id,
      kind: timer.kind,
      workspace_id: timer.workspace_id,
      execution_id: timer.execution_id,
      due_at: dueAt,
    };
    await publishJson(this.deps.js, this.deps.subjects.command('timer', timer.workspace_id), command, messageIds.timer(timer._id, dueAt));
    const res = await this.deps.store.timers.deleteOne({ _id: timer._id, status: 'pending' });
    if (res.deletedCount === 1) {
      this.deps.fired.inc({ kind: timer.kind });
      this.deps.lag.observe({ kind: timer.kind }, Math.max(0, (now.getTime() - timer.due_at.getTime()) / 1000));
    }
  }
}
