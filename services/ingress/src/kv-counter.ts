import { ApiError } from '@flowgate/contracts';
import type { KV } from '@flowgate/kit';

/**
 * Integer counters in NATS KV that every ingress replica shares: each change is a compare-and-set
 * on the key's revision (a lost race re-reads and tries again), so a guarded increment ("only
 * while below the limit") is atomic across replicas. MongoDB cannot do this on FerretDB 1.x, whose
 * `findAndModify` is a read followed by a separate write (ADR 0003). Within one replica changes of
 * a key queue behind each other, so only replicas race.
 */
const MAX_RACES = 16;

export class KvCounter {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly kv: KV) {}

  async read(key: string): Promise<number> {
    const entry = await this.kv.get(key);
    return entry && entry.operation === 'PUT' ? Number(entry.string()) || 0 : 0;
  }

  /**
   * Sets the counter to `next(current)` unless that returns null; resolves with the value before
   * and whether it changed.
   */
  change(key: string, next: (current: number) => number | null): Promise<{ before: number; changed: boolean }> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const turn = previous.then(
      () => this.changeNow(key, next),
      () => this.changeNow(key, next),
    );
    this.queues.set(key, turn);
    void turn
      .finally(() => {
        if (this.queues.get(key) === turn) this.queues.delete(key);
      })
      .catch(() => undefined);
    return turn;
  }

  private async changeNow(key: string, next: (current: number) => number | null): Promise<{ before: number; changed: boolean }> {
    for (let race = 0; race < MAX_RACES; race++) {
      const entry = await this.kv.get(key);
      const before = entry && entry.operation === 'PUT' ? Number(entry.string()) || 0 : 0;
      const value = next(before);
      if (value === null || value === before) return { before, changed: false };
      try {
        if (entry) await this.kv.update(key, String(value), entry.revision);
        else await this.kv.create(key, String(value));
        return { before, changed: true };
      } catch {
        // Another replica wrote first: read again after a short random pause.
        await new Promise((r) => setTimeout(r, Math.random() * 5));
      }
    }
    throw new ApiError('dependency_unavailable', 'Too much contention on a shared counter; nothing was accepted, retry', undefined, {
      'Retry-After': '1',
    });
  }
}
