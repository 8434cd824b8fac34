/**
 * Bounded concurrency of callback attempts: at most `perHost` on the wire per destination (host and
 * port) and `global` in all. A destination that hangs holds only its own slots; messages for it
 * beyond `maxWaitingPerHost` waiters are handed back to JetStream (deferred) instead of occupying
 * the consumer, so deliveries to other destinations are never queued behind it.
 */
export class ShuttingDownError extends Error {
  constructor() {
    super('callback service is shutting down');
    this.name = 'ShuttingDownError';
  }
}

class Semaphore {
  private active = 0;
  private readonly waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(private readonly max: number) {}

  get busy(): boolean {
    return this.active >= this.max;
  }

  get idle(): boolean {
    return this.active === 0 && this.waiters.length === 0;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next.resolve(); // the slot passes straight to the next waiter
    else this.active--;
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}

export interface LimiterStats {
  hosts: number;
  waiting: number;
}

export class DeliveryLimiter {
  private readonly hosts = new Map<string, Semaphore>();
  private readonly global: Semaphore;
  private closed = false;

  constructor(private readonly opts: { perHost: number; global: number; maxWaitingPerHost: number }) {
    this.global = new Semaphore(opts.global);
  }

  /**
   * Waits for a slot of `host` and then a global one; resolves with the release function, or with
   * null when `host` already has `maxWaitingPerHost` waiters (the caller defers the message).
   * Rejects with ShuttingDownError once `close()` was called.
   */
  async acquire(host: string): Promise<(() => void) | null> {
    if (this.closed) throw new ShuttingDownError();
    let sem = this.hosts.get(host);
    if (!sem) {
      sem = new Semaphore(this.opts.perHost);
      this.hosts.set(host, sem);
    }
    if (sem.busy && sem.waiting >= this.opts.maxWaitingPerHost) return null;
    const hostSem = sem;
    await hostSem.acquire();
    try {
      await this.global.acquire();
    } catch (err) {
      this.releaseHost(host, hostSem);
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.global.release();
      this.releaseHost(host, hostSem);
    };
  }

  private releaseHost(host: string, sem: Semaphore): void {
    sem.release();
    if (sem.idle && this.hosts.get(host) === sem) this.hosts.delete(host);
  }

  /** Stops handing out slots: every waiter is rejected with ShuttingDownError. */
  close(): void {
    this.closed = true;
    const err = new ShuttingDownError();
    for (const sem of this.hosts.values()) sem.rejectAll(err);
    this.global.rejectAll(err);
  }
}
