import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

export type { KV, KvEntry } from '@nats-io/kv';

/** Opens (creating if needed) a NATS KV bucket; `ttlMs` expires keys not written for that long. */
export async function openKv(nc: NatsConnection, bucket: string, opts: { ttlMs?: number; history?: number } = {}): Promise<KV> {
  return new Kvm(nc).create(bucket, { history: opts.history ?? 1, ...(opts.ttlMs ? { ttl: opts.ttlMs } : {}) });
}
