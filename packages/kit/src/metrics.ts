import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics: `flowgate_` prefix, base units, `_total` counters, histograms in seconds. */

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'flowgate_' });
  return registry;
}

export function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** `collect` runs on every scrape (keep it quick: it delays /metrics). */
export function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  collect?: (this: Gauge<L>) => void | Promise<void>,
): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = LATENCY_BUCKETS,
): Histogram<L> {
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

/** RED metrics of a message consumer: one histogram per message, labelled by outcome. */
export function consumerMetrics(registry: Registry) {
  return {
    handled: histogram(registry, 'flowgate_consumer_message_duration_seconds', 'Time to handle one JetStream message', [
      'consumer',
      'outcome',
    ]),
    redeliveries: counter(registry, 'flowgate_consumer_redeliveries_total', 'Messages received with a delivery count above 1', [
      'consumer',
    ]),
    deadLetters: counter(registry, 'flowgate_dead_letters_total', 'Messages given up on and recorded as dead letters', [
      'consumer',
      'reason',
    ]),
  };
}
export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;

/** RED metrics of a gRPC server. */
export function grpcServerMetrics(registry: Registry) {
  return histogram(registry, 'flowgate_grpc_server_handling_seconds', 'gRPC server call duration by method and status code', [
    'method',
    'code',
  ]);
}

/**
 * MongoDB commands a process sends (driver command monitoring, see connectMongo): round trips by
 * command, and their statements by command and shape (`classifyStoreCommand`).
 */
export function storeCommandMetrics(registry: Registry) {
  return {
    roundTrips: counter(registry, 'flowgate_store_round_trips_total', 'MongoDB commands sent (one per round trip)', ['command']),
    statements: counter(
      registry,
      'flowgate_store_commands_total',
      'MongoDB statements sent by command and shape (insert: per document; update / delete: per statement; by_id: filter is _id alone; scan: any other filter)',
      ['command', 'shape'],
    ),
  };
}
