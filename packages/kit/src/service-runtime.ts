import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createSubjects, type Subjects } from '@flowgate/contracts';
import type { Db, MongoClient } from 'mongodb';
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from './logger';
import { createRegistry } from './metrics';
import { connectMongo, mongoReady } from './mongo';
import { checkPlacement, connectNats, ensureStreams, jetStreamClients, natsReady, type NatsPlacement } from './nats';
import { startOpsServer, type OpsServer } from './ops-server';
import { onShutdown, type ShutdownStep } from './shutdown';

/**
 * What every service starts the same way: logger, metrics registry, MongoDB, NATS + JetStream
 * streams, and the ops port. `/readyz` stays 503 until the service calls `ready()` (its own
 * listeners and consumers are up) and while NATS or MongoDB do not answer.
 */
export interface RuntimeConfig {
  NATS_URL: string;
  MONGO_URL: string;
  FLOWGATE_NATS_PREFIX: string;
  LOG_LEVEL: string;
  FLOWGATE_SHUTDOWN_TIMEOUT_MS: number;
  FLOWGATE_SHUTDOWN_DRAIN_MS: number;
  FLOWGATE_OPS_PORT: number;
  /** Where the ops port (and the service's other listeners) bind. */
  FLOWGATE_BIND_ADDRESS: string;
  FLOWGATE_NATS_REPLICAS: number;
  FLOWGATE_NATS_STORAGE: 'file' | 'memory';
}

export interface ServiceRuntime {
  service: string;
  logger: Logger;
  registry: Registry;
  subjects: Subjects;
  mongo: MongoClient;
  db: Db;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Replicas and storage of the streams and KV buckets it creates (FLOWGATE_NATS_REPLICAS / _STORAGE). */
  placement: NatsPlacement;
  ops: OpsServer;
  /** Marks the service ready (readiness then follows its dependencies). */
  ready(): void;
  /**
   * On SIGTERM / SIGINT: report not ready, run the service's own steps (stop intake, finish
   * in-flight work), then drain NATS, close MongoDB and the ops port, and exit.
   */
  onShutdown(steps: ShutdownStep[]): void;
}

export async function startRuntime(service: string, config: RuntimeConfig): Promise<ServiceRuntime> {
  const logger = createLogger(service, config.LOG_LEVEL);
  const registry = createRegistry(service);
  const subjects = createSubjects(config.FLOWGATE_NATS_PREFIX);
  const { client: mongo, db } = await connectMongo(config.MONGO_URL, `flowgate-${service}`, registry);
  const nc = await connectNats(config.NATS_URL, `flowgate-${service}`, logger);
  const { js, jsm } = await jetStreamClients(nc);
  const placement = checkPlacement({ replicas: config.FLOWGATE_NATS_REPLICAS, storage: config.FLOWGATE_NATS_STORAGE }, nc.info);
  await ensureStreams(jsm, subjects, placement);
  let started = false;
  const ops = await startOpsServer({
    port: config.FLOWGATE_OPS_PORT,
    host: config.FLOWGATE_BIND_ADDRESS,
    registry,
    logger,
    checks: { started: () => Promise.resolve(started), nats: natsReady(nc, subjects.commandsStream), mongodb: mongoReady(db) },
  });
  return {
    service,
    logger,
    registry,
    subjects,
    mongo,
    db,
    nc,
    js,
    jsm,
    placement,
    ops,
    ready: () => {
      started = true;
      logger.info({ ops_port: ops.port }, `${service} service ready`);
    },
    onShutdown: (steps) =>
      onShutdown(logger, config.FLOWGATE_SHUTDOWN_TIMEOUT_MS, [
        { name: 'not ready', run: () => ops.setShuttingDown() },
        // Still serving, reported not ready: balancers and endpoints take the replica out first.
        { name: 'drain delay', run: () => delay(config.FLOWGATE_SHUTDOWN_DRAIN_MS) },
        ...steps,
        { name: 'nats drain', run: () => nc.drain() },
        { name: 'mongodb', run: () => mongo.close() },
        { name: 'ops', run: () => ops.close() },
      ]),
  };
}

const delay = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : undefined);

/** Runs a service's main; a start-up failure is one JSON line on stderr and exit code 1. */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service, msg: 'start-up failed', err: message })}\n`);
    process.exit(1);
  });
}
