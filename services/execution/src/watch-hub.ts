import { executionEventSchema, type Subjects } from '@flowgate/contracts';
import type { Logger, NatsConnection } from '@flowgate/kit';

/**
 * One NATS subscription to every execution event, fanned out to local watchers (gRPC
 * WatchExecution streams) by execution id. Events only say "changed": watchers re-read MongoDB.
 */
export class WatchHub {
  private readonly listeners = new Map<string, Set<() => void>>();
  private subscription: ReturnType<NatsConnection['subscribe']> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const sub = this.nc.subscribe(this.subjects.executionEventsFilter());
    this.subscription = sub;
    void (async () => {
      for await (const msg of sub) {
        // Every executor sees every event: with no watcher here, there is nothing to parse.
        if (this.listeners.size === 0) continue;
        let body: unknown;
        try {
          body = msg.json();
        } catch {
          body = undefined; // not JSON: ignored below like any malformed event
        }
        const parsed = executionEventSchema.safeParse(body);
        if (!parsed.success) {
          this.logger.warn({ subject: msg.subject }, 'ignoring malformed execution event');
          continue;
        }
        for (const listener of this.listeners.get(parsed.data.execution_id) ?? []) listener();
      }
    })();
  }

  watch(executionId: string, onChange: () => void): () => void {
    let set = this.listeners.get(executionId);
    if (!set) {
      set = new Set();
      this.listeners.set(executionId, set);
    }
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.listeners.delete(executionId);
    };
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
