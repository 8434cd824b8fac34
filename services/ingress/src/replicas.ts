import { randomUUID } from 'node:crypto';
import type { KV, Logger } from '@flowgate/kit';

/**
 * How many ingress replicas are live, for the size of rate-limit and quota reservations (ADR
 * 0012): each replica puts its own key into a KV bucket every `HEARTBEAT_MS` and counts the keys;
 * a key not refreshed for the bucket's max age (`REPLICA_TTL_MS`) expires. A replica that died
 * is still counted until then, which only makes batches smaller (safe); a replica not yet seen
 * makes them larger by at most the ratio of the counts, for one heartbeat.
 */
export const HEARTBEAT_MS = 2_000;
export const REPLICA_TTL_MS = 10_000;

export class ReplicaCount {
  readonly id = randomUUID().replace(/-/g, '');
  private count = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  /** The last count (at least 1). */
  get live(): number {
    return this.count;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.kv.delete(this.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      await this.kv.put(this.id, String(Date.now()));
      let n = 0;
      for await (const _key of await this.kv.keys()) n++;
      this.count = Math.max(1, n);
    } catch (err) {
      this.logger.warn({ err }, 'replica heartbeat failed; keeping the last count');
    }
  }
}
