import { ApiError } from '@flowgate/contracts';
import { KvCas, type KV, type KvEntry } from '@flowgate/kit';

/**
 * Integer counters in NATS KV that every ingress replica shares: each change is a compare-and-set
 * on the key's revision (a lost race re-reads and tries again), so a guarded increment ("only
 * while below the limit") is atomic across replicas. MongoDB cannot do this on FerretDB 1.x, whose
 * `findAndModify` is a read followed by a separate write (ADR 0003). Within one replica changes of
 * a key queue behind each other, so only replicas race.
 */
const MAX_RACES = 16;

const valueOf = (entry: KvEntry | null): number => (entry && entry.operation === 'PUT' ? Number(entry.string()) || 0 : 0);

export class KvCounter {
  private readonly cas: KvCas;

  constructor(private readonly kv: KV) {
    this.cas = new KvCas(
      kv,
      MAX_RACES,
      () =>
        new ApiError('dependency_unavailable', 'Too much contention on a shared counter; nothing was accepted, retry', undefined, {
          'Retry-After': '1',
        }),
    );
  }

  async read(key: string): Promise<number> {
    return valueOf(await this.kv.get(key));
  }

  /**
   * Sets the counter to `next(current)` unless that returns null; resolves with the value before,
   * after, and whether it changed.
   */
  change(key: string, next: (current: number) => number | null): Promise<{ before: number; after: number; changed: boolean }> {
    return this.cas.change<{ before: number; after: number; changed: boolean }>(key, (entry) => {
      const before = valueOf(entry);
      const value = next(before);
      if (value === null || value === before) return { result: { before, after: before, changed: false } };
      return { write: String(value), result: { before, after: value, changed: true } };
    });
  }
}
