import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Readiness of NATS as the services need it: not only a connection (a server that answers) but
 * JetStream able to act on the commands stream — its leader elected, its quorum there. A cluster
 * that lost quorum still accepts connections and flushes; it only stops answering JetStream
 * requests, and that is what this asks (`STREAM.INFO` of the commands stream, answered by the
 * stream's leader). The answer is kept for `cacheMs` and concurrent probes share one request, so
 * /readyz polled often costs one small request a second at most (ADR 0024).
 */
export const JETSTREAM_READY_TIMEOUT_MS = 1_000;
export const JETSTREAM_READY_CACHE_MS = 1_000;

export function natsReady(
  nc: NatsConnection,
  stream: string,
  opts: { timeoutMs?: number; cacheMs?: number; now?: () => number } = {},
): () => Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? JETSTREAM_READY_TIMEOUT_MS;
  const cacheMs = opts.cacheMs ?? JETSTREAM_READY_CACHE_MS;
  const now = opts.now ?? Date.now;
  let jsm: Promise<JetStreamManager> | undefined;
  let last: { at: number; ok: boolean } | undefined;
  let inFlight: Promise<boolean> | undefined;

  const probe = async (): Promise<boolean> => {
    try {
      // checkAPI false: the manager is made without a request of its own (it would fail in an outage and be cached).
      jsm ??= jetstreamManager(nc, { timeout: timeoutMs, checkAPI: false });
      const info = await (await jsm).streams.info(stream);
      // A stream without a leader (an election under way) cannot take a command.
      return info.cluster === undefined || Boolean(info.cluster.leader);
    } catch {
      return false;
    }
  };

  return async () => {
    if (nc.isClosed()) return false;
    if (last && now() - last.at < cacheMs) return last.ok;
    inFlight ??= probe().then((ok) => {
      last = { at: now(), ok };
      inFlight = undefined;
      return ok;
    });
    return inFlight;
  };
}
