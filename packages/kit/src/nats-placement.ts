/**
 * Where Flowgate's streams and KV buckets live: how many replicas (FLOWGATE_NATS_REPLICAS) and on
 * which storage (FLOWGATE_NATS_STORAGE). Every stream and bucket a service creates takes them;
 * consumers inherit their stream's replicas. An existing stream or bucket is brought to the replica
 * count in place at start-up (JetStream moves the data), and one on another storage is refused —
 * never silently left as it was.
 */
export interface NatsPlacement {
  replicas: number;
  storage: 'file' | 'memory';
}

export const DEFAULT_PLACEMENT: NatsPlacement = { replicas: 1, storage: 'file' };

/**
 * The placement a service's configuration asks for, checked against the server it is connected to:
 * more than one replica needs a NATS cluster (`cluster` in the server's INFO); a cluster too small
 * for the count is refused by JetStream itself when the first stream is placed (placementError).
 */
export function checkPlacement(placement: NatsPlacement, server: { cluster?: string } | undefined): NatsPlacement {
  if (placement.replicas > 1 && !server?.cluster)
    throw new Error(
      `FLOWGATE_NATS_REPLICAS=${placement.replicas} needs a NATS cluster, but the server at NATS_URL is not clustered ` +
        '(set FLOWGATE_NATS_REPLICAS=1, or point NATS_URL at a cluster of at least that many JetStream servers)',
    );
  return placement;
}

/** A stream or bucket JetStream would not place as configured, as an error that names the variables. */
export function placementError(what: string, placement: NatsPlacement, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  if (placement.replicas > 1 && /insufficient resources|replicas|peers|no suitable/i.test(reason))
    return new Error(
      `${what}: FLOWGATE_NATS_REPLICAS=${placement.replicas} is more than the NATS cluster can place (${reason}); ` +
        'use at most the number of JetStream servers in the cluster',
    );
  return err instanceof Error ? err : new Error(reason);
}

/**
 * Placing a replicated stream or bucket waits for its group to elect a leader; on a loaded cluster
 * that can outlast a request's timeout even though the placement goes on. Start-up asks again (a
 * creation is idempotent: the same configuration again is a success) until `deadlineMs` has passed.
 */
export const PLACEMENT_DEADLINE_MS = 30_000;

export async function retryOnTimeout<T>(what: () => Promise<T>, deadlineMs = PLACEMENT_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await what();
    } catch (err) {
      const timedOut =
        err instanceof Error && /timeout|timed out|no responders|temporarily unavailable/i.test(`${err.name} ${err.message}`);
      if (!timedOut || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
