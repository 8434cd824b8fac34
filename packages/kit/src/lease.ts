import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { openKv } from './kv';
import type { NatsPlacement } from './nats-placement';
import { startPollLoop, type PollLoop } from './poll-loop';

/**
 * A leader lease in NATS KV: the holder's key lives `ttlMs` after its last write (bucket max age),
 * is taken with an atomic `create` and renewed with a compare-and-set `update` on its revision.
 * The holder counts itself leader only until `ttlMs - margin` after it *started* its last renewal,
 * which is before the server can expire the key, so two holders never both believe they lead. The
 * revision of the last write is the fencing token.
 */
export interface LeaseOptions {
  bucket: string;
  key: string;
  holder: string;
  ttlMs: number;
  /** Replicas and storage of the lease bucket (the service's FLOWGATE_NATS_REPLICAS / _STORAGE). */
  placement?: NatsPlacement;
  now?: () => number;
  onChange?: (leader: boolean) => void;
}

export class Lease {
  private revision = 0;
  private validUntil = 0;
  private loop: PollLoop | undefined;
  private leading = false;

  private constructor(
    private readonly kv: KV,
    private readonly opts: LeaseOptions,
  ) {}

  static async open(nc: NatsConnection, opts: LeaseOptions): Promise<Lease> {
    const kv = await openKv(nc, opts.bucket, { ttlMs: opts.ttlMs, placement: opts.placement });
    return new Lease(kv, opts);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Whether this process may act as the leader right now. */
  isHeld(): boolean {
    return this.revision > 0 && this.now() < this.validUntil;
  }

  /** Fencing token: the revision of the holder's last successful write (0 when not held). */
  get fence(): number {
    return this.isHeld() ? this.revision : 0;
  }

  /** Takes the lease if free, renews it if held. Never throws: a failure means "not leader". */
  async tick(): Promise<void> {
    const started = this.now();
    try {
      this.revision =
        this.revision > 0 && this.isHeld()
          ? await this.kv.update(this.opts.key, this.opts.holder, this.revision)
          : await this.kv.create(this.opts.key, this.opts.holder);
      this.validUntil = started + this.opts.ttlMs - Math.max(250, this.opts.ttlMs / 5);
    } catch {
      this.revision = 0;
      this.validUntil = 0;
    }
    this.report();
  }

  private report(): void {
    const leading = this.isHeld();
    if (leading !== this.leading) {
      this.leading = leading;
      this.opts.onChange?.(leading);
    }
  }

  /** Ticks every third of the TTL until stopped. */
  start(): void {
    this.loop = startPollLoop(
      () => this.tick(),
      Math.max(100, Math.floor(this.opts.ttlMs / 3)),
      () => undefined,
    );
  }

  /** Stops renewing and gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    await this.loop?.stop();
    if (this.isHeld()) await this.kv.delete(this.opts.key, { previousSeq: this.revision }).catch(() => undefined);
    this.revision = 0;
    this.validUntil = 0;
    this.report();
  }
}
