import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_PLACEMENT, placementError, retryOnTimeout, type NatsPlacement } from './nats-placement';

export type { KV, KvEntry } from '@nats-io/kv';

/**
 * Opens (creating if needed) a NATS KV bucket; `ttlMs` expires keys not written for that long;
 * `markerTtlMs` allows per-key TTLs (nats-server ≥ 2.11: the stream's `allow_msg_ttl`, e.g. on purge
 * markers, or `kv.create(key, value, "24h")` expiring that key on its own) and keeps the delete
 * markers left by expiries that long.
 */
export async function openKv(
  nc: NatsConnection,
  bucket: string,
  opts: { ttlMs?: number; history?: number; markerTtlMs?: number; placement?: NatsPlacement } = {},
): Promise<KV> {
  const placement = opts.placement ?? DEFAULT_PLACEMENT;
  const storage = placement.storage === 'memory' ? StorageType.Memory : StorageType.File;
  const create = () =>
    new Kvm(nc).create(bucket, {
      history: opts.history ?? 1,
      replicas: placement.replicas,
      storage,
      ...(opts.ttlMs ? { ttl: opts.ttlMs } : {}),
      ...(opts.markerTtlMs ? { markerTTL: opts.markerTtlMs } : {}),
    });
  // Two services creating one bucket at once (e.g. the leases, with different TTLs): the one that lost
  // the race opens the bucket the other created.
  const kv = await retryOnTimeout(() =>
    create().catch((err: unknown) => {
      if (err instanceof Error && err.message.includes('already in use')) return create();
      throw err;
    }),
  ).catch((err: unknown) => {
    throw placementError(`KV bucket ${bucket}`, placement, err);
  });
  // An existing bucket is opened as it is: bring its replicas to the setting, refuse another storage.
  const stream = `KV_${bucket}`;
  const jsm = await jetstreamManager(nc);
  const info = await retryOnTimeout(() => jsm.streams.info(stream));
  if (info.config.storage !== storage)
    throw new Error(
      `KV bucket ${bucket} is stored as ${info.config.storage} but FLOWGATE_NATS_STORAGE=${placement.storage}: ` +
        'a stream cannot change its storage in place (remove the bucket or keep the setting)',
    );
  if (info.config.num_replicas !== placement.replicas) {
    await retryOnTimeout(() => jsm.streams.update(stream, { ...info.config, num_replicas: placement.replicas })).catch((err: unknown) => {
      throw placementError(`KV bucket ${bucket}`, placement, err);
    });
  }
  return kv;
}

/** A KV `create` of a key that exists, or an `update` whose revision is no longer the key's. */
export function isKvConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** What a compare-and-set change decides from the key's current entry: a value to write (or none) and its result. */
export interface KvDecision<T> {
  write?: string;
  /** Delete the key instead (conditional on the revision read, like a write); ignored when there is no entry. */
  remove?: boolean;
  result: T;
}

/**
 * Compare-and-set changes of NATS KV keys shared by every replica: `decide` sees the current entry
 * and says what to write; the write is conditional on the entry's revision, so a replica that
 * lost a race reads again (after a short random pause) and decides again, up to `maxRaces` times,
 * then `contention()` is thrown. Within one process, changes of a key queue behind each other, so
 * only replicas race. Used by the rate limiter's token buckets and the quota counters.
 */
export class KvCas {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly kv: KV,
    private readonly maxRaces: number,
    private readonly contention: () => Error,
  ) {}

  change<T>(key: string, decide: (entry: KvEntry | null) => KvDecision<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const turn = previous.then(
      () => this.changeNow(key, decide),
      () => this.changeNow(key, decide),
    );
    this.queues.set(key, turn);
    void turn
      .finally(() => {
        if (this.queues.get(key) === turn) this.queues.delete(key);
      })
      .catch(() => undefined);
    return turn;
  }

  private async changeNow<T>(key: string, decide: (entry: KvEntry | null) => KvDecision<T>): Promise<T> {
    for (let race = 0; race < this.maxRaces; race++) {
      const entry = await this.kv.get(key);
      const decision = decide(entry);
      if (decision.remove && entry && entry.operation === 'PUT') {
        try {
          await this.kv.delete(key, { previousSeq: entry.revision });
          return decision.result;
        } catch {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          continue;
        }
      }
      if (decision.write === undefined) return decision.result;
      try {
        if (entry) await this.kv.update(key, decision.write, entry.revision);
        else await this.kv.create(key, decision.write);
        return decision.result;
      } catch {
        // Another replica wrote first: read again after a short random pause.
        await new Promise((r) => setTimeout(r, Math.random() * 5));
      }
    }
    throw this.contention();
  }
}
