import './instrument';
import { executionEventSchema, redeliverRequestSchema } from '@flowgate/contracts';
import {
  consumeDurable,
  consumerMetrics,
  counter,
  createEgressAgent,
  ensureDurableConsumer,
  histogram,
  runMain,
  SecretBox,
  startRuntime,
  WorkspaceLabels,
  type MessageDisposition,
} from '@flowgate/kit';
import { collections, ensureIndexes, recordDeadLetter } from '@flowgate/store';
import { z } from 'zod';
import { loadCallbackConfig } from './config';
import { DeliveryLimiter } from './limiter';
import { WorkspaceSigners } from './signers';
import { DeliveryWorker } from './worker';

const CONSUMER = 'callback';
/** Final events (success / failure callbacks) and waiting ones (approval required). */
const DELIVERED_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled', 'waiting'];
/**
 * Deliveries are bounded by their schedule, not by JetStream's delivery count (naks for retries and
 * for a busy destination count there too), so the consumer has no max_deliver; a handler that keeps
 * throwing (MongoDB down) is dead-lettered after this many deliveries (at the 60 s cap: > 16 h).
 */
const MAX_ERROR_DELIVERIES = 1_000;

const messageSchema = z.union([redeliverRequestSchema, executionEventSchema]);

runMain('callback', async () => {
  const config = loadCallbackConfig();
  const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);
  const rt = await startRuntime('callback', config);
  const { logger, subjects } = rt;
  const store = collections(rt.db);
  await ensureIndexes(store);
  const consumer = consumerMetrics(rt.registry);
  const concurrency = config.FLOWGATE_CALLBACK_CONCURRENCY;
  const limiter = new DeliveryLimiter({
    perHost: config.FLOWGATE_CALLBACK_MAX_PER_HOST,
    global: concurrency,
    maxWaitingPerHost: config.FLOWGATE_CALLBACK_MAX_PER_HOST * 4,
  });
  const dispatcher = createEgressAgent({
    allow: config.FLOWGATE_EGRESS_ALLOW_CIDRS,
    connect: { timeout: config.FLOWGATE_CALLBACK_TIMEOUT_MS },
  });
  const worker = new DeliveryWorker({
    store,
    limiter,
    signers: new WorkspaceSigners(store.callbackSecrets, box, config.FLOWGATE_CALLBACK_SIGNING_SECRET),
    dispatcher,
    logger,
    schedule: config.FLOWGATE_CALLBACK_RETRY_SCHEDULE_S,
    jitter: config.FLOWGATE_CALLBACK_RETRY_JITTER,
    timeoutMs: config.FLOWGATE_CALLBACK_TIMEOUT_MS,
    // workspace_id is bounded (at most FLOWGATE_METRICS_MAX_WORKSPACES + 2 values): attempts ≤ (N + 2) × 4 outcomes series.
    metrics: {
      workspaces: new WorkspaceLabels(config.FLOWGATE_METRICS_MAX_WORKSPACES),
      attempts: counter(rt.registry, 'flowgate_callback_attempts_total', 'Callback delivery attempts by outcome and workspace', [
        'outcome',
        'workspace_id',
      ]),
      attemptSeconds: histogram(rt.registry, 'flowgate_callback_attempt_duration_seconds', 'Duration of one callback attempt', ['outcome']),
      failed: counter(
        rt.registry,
        'flowgate_callback_deliveries_failed_total',
        'Deliveries given up on (dead letters) by reason and workspace',
        ['reason', 'workspace_id'],
      ),
      deferred: counter(
        rt.registry,
        'flowgate_callback_deferred_total',
        'Messages handed back because their destination was saturated, by workspace',
        ['workspace_id'],
      ),
    },
  });

  const ackWaitMs = config.FLOWGATE_CALLBACK_ACK_WAIT_MS;
  await ensureDurableConsumer(rt.jsm, {
    stream: subjects.eventsStream,
    durable: CONSUMER,
    filterSubjects: [...DELIVERED_STATUSES.map((s) => subjects.executionEventsFilter(s)), subjects.deliveryRequestsFilter],
    ackWaitMs,
    maxDeliver: -1,
    // Deliveries waiting for a retry (hours, with a nak delay) stay unacknowledged: they must not block new ones.
    maxAckPending: -1,
  });

  const loop = await consumeDurable({
    js: rt.js,
    stream: subjects.eventsStream,
    durable: CONSUMER,
    maxDeliver: MAX_ERROR_DELIVERIES,
    // Messages waiting for a slot of their destination are held too: room for all of them and more.
    maxInFlight: concurrency * 8,
    logger,
    metrics: consumer,
    schema: messageSchema,
    handle: async (message, msg): Promise<MessageDisposition> => {
      // Keep the message ours while we wait for a slot or the receiver; a crash lets it go after ackWaitMs.
      const heartbeat = setInterval(() => msg.working(), Math.max(300, Math.floor(ackWaitMs / 3)));
      try {
        return 'type' in message ? await worker.onRedeliver(message, msg) : await worker.onExecutionEvent(message, msg);
      } finally {
        clearInterval(heartbeat);
      }
    },
    recordDeadLetter: (entry) => recordDeadLetter(store.deadLetters, entry),
  });
  rt.ready();

  rt.onShutdown([
    {
      name: 'stop consuming, hand back waiting deliveries, finish attempts on the wire',
      run: async () => {
        limiter.close();
        await loop.stop();
      },
    },
    { name: 'http agent', run: () => dispatcher.close() },
  ]);
});
