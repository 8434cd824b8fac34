import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { counter, gauge, type Logger } from '@flowgate/kit';
import type { Gauge, Registry } from 'prom-client';

/**
 * Queue gauges of the command consumer, read from JetStream's consumer info when Prometheus
 * scrapes: messages waiting (`num_pending`), delivered and not acknowledged yet (`num_ack_pending`,
 * in flight on some replica), and being redelivered (`num_redelivered`). They describe the durable
 * consumer, shared by all replicas, so every replica reports the same values (aggregate with
 * `max`, not `sum`).
 *
 * A scrape never waits on NATS for long: the consumer info is fetched at most once per `maxAgeMs`
 * (concurrent scrapes and the three gauges share one request), and if it has not arrived after
 * `timeoutMs` the scrape reports the last values (a late answer still updates them). Failures
 * count in `flowgate_queue_metrics_errors_total`.
 */
export interface QueueMetricsOptions {
  jsm: Pick<JetStreamManager, 'consumers'>;
  stream: string;
  durable: string;
  registry: Registry;
  logger: Logger;
  timeoutMs?: number;
  maxAgeMs?: number;
}

export interface QueueMetrics {
  /** Stops asking NATS (before it is drained); later scrapes report the last values. */
  stop(): void;
}

export function queueMetrics(opts: QueueMetricsOptions): QueueMetrics {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const maxAgeMs = opts.maxAgeMs ?? 1_000;
  const labels = { consumer: opts.durable };
  let last: ConsumerInfo | undefined;
  let fetchedAt = 0;
  let pending: Promise<void> | undefined;
  let stopped = false;

  const errors = counter(
    opts.registry,
    'flowgate_queue_metrics_errors_total',
    'Failed reads of the consumer info behind the queue gauges',
    ['consumer'],
  );

  const fetchInfo = (): Promise<void> =>
    opts.jsm.consumers.info(opts.stream, opts.durable).then(
      (info) => {
        last = info;
        fetchedAt = Date.now();
      },
      (err: unknown) => {
        errors.inc(labels);
        opts.logger.warn({ err, stream: opts.stream, consumer: opts.durable }, 'consumer info for queue metrics failed');
      },
    );

  /** Resolves once the info is fresh or after `timeoutMs`, whichever comes first; never rejects. */
  const refresh = async (): Promise<void> => {
    if (stopped || Date.now() - fetchedAt < maxAgeMs) return;
    const request = (pending ??= fetchInfo().finally(() => (pending = undefined)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([request, new Promise<void>((done) => (timer = setTimeout(done, timeoutMs).unref()))]);
    clearTimeout(timer);
  };

  const fromInfo = (read: (info: ConsumerInfo) => number) =>
    async function (this: Gauge<'consumer'>) {
      await refresh();
      if (last) this.set(labels, read(last));
    };

  gauge(
    opts.registry,
    'flowgate_queue_depth',
    'Commands waiting in the stream for this consumer, not delivered yet (consumer num_pending)',
    ['consumer'],
    fromInfo((info) => info.num_pending),
  );
  gauge(
    opts.registry,
    'flowgate_consumer_ack_pending',
    'Commands delivered to a replica and not acknowledged yet (consumer num_ack_pending)',
    ['consumer'],
    fromInfo((info) => info.num_ack_pending),
  );
  gauge(
    opts.registry,
    'flowgate_consumer_redelivered',
    'Commands delivered more than once and not acknowledged yet (consumer num_redelivered)',
    ['consumer'],
    fromInfo((info) => info.num_redelivered),
  );

  return {
    stop() {
      stopped = true;
    },
  };
}
