import {
  type ConsumerMessages,
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamInfo,
} from '@nats-io/jetstream';
import { connect, headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@flowgate/contracts';
import type { ZodType } from 'zod';
import type { Logger } from './logger';
import { extractTraceContext, inSpan, injectTraceHeaders, SpanKind } from './trace-context';
import type { ConsumerMetrics } from './metrics';

import { DEFAULT_PLACEMENT, placementError, retryOnTimeout, type NatsPlacement } from './nats-placement';
export type { JsMsg, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
export { checkPlacement, DEFAULT_PLACEMENT, type NatsPlacement } from './nats-placement';
export type { NatsConnection } from '@nats-io/transport-node';
export { natsReady } from './nats-readiness';

export async function connectNats(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  // noAsyncTraces: the client would otherwise build an Error (a stack trace) for every request in
  // case it fails — about 15 % of the executor's CPU in a profile of the 1-step bench.
  const nc = await connect({ servers: url.split(','), name, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error')
        logger.warn({ nats: status.type }, 'nats connection status changed');
    }
  })();
  return nc;
}

const DEDUP_WINDOW_MS = 2 * 60_000;

/**
 * Creates or updates the streams (idempotent; each owning service calls it at start-up). The
 * commands stream also holds JetStream message schedules (ADR 0013): its second subject space
 * `schedulesAll` and `allow_msg_schedules` (nats-server ≥ 2.12) are added to an existing stream in
 * place. The server refuses to turn schedules off again, so a version older than this one can no
 * longer update the stream (it fails at start-up rather than dropping pending schedules).
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  subjects: Subjects,
  placement: NatsPlacement = DEFAULT_PLACEMENT,
): Promise<void> {
  const storage = placement.storage === 'memory' ? StorageType.Memory : StorageType.File;
  const wanted = [
    {
      name: subjects.commandsStream,
      subjects: [subjects.commandsAll, subjects.schedulesAll],
      retention: RetentionPolicy.Workqueue,
      storage,
      num_replicas: placement.replicas,
      duplicate_window: nanos(DEDUP_WINDOW_MS),
      allow_msg_schedules: true,
    },
    {
      name: subjects.eventsStream,
      subjects: [subjects.eventsAll],
      retention: RetentionPolicy.Limits,
      storage,
      num_replicas: placement.replicas,
      duplicate_window: nanos(DEDUP_WINDOW_MS),
      max_age: nanos(7 * 24 * 3600_000),
    },
  ];
  for (const config of wanted) {
    let info: StreamInfo;
    let existing: StreamInfo | null = null;
    try {
      existing = await retryOnTimeout(() => jsm.streams.info(config.name));
    } catch (err) {
      if (!String((err as Error).message).includes('not found')) throw err;
    }
    if (existing && existing.config.storage !== storage)
      throw new Error(
        `stream ${config.name} is stored as ${existing.config.storage} but FLOWGATE_NATS_STORAGE=${placement.storage}: ` +
          'a stream cannot change its storage in place (remove the stream or keep the setting)',
      );
    try {
      // An existing stream is updated in place: its replicas follow the setting (JetStream moves the data).
      info = await retryOnTimeout(() => (existing ? jsm.streams.update(config.name, config) : jsm.streams.add(config)));
    } catch (err) {
      throw placementError(`stream ${config.name}`, placement, err);
    }
    // A server before 2.12 ignores the option and the schedule headers: timers would never fire.
    if (config.allow_msg_schedules && info.config.allow_msg_schedules !== true)
      throw new Error(`stream ${config.name}: the NATS server does not support message schedules (nats-server >= 2.12 required)`);
  }
}

export interface DurableConsumerSpec {
  stream: string;
  durable: string;
  filterSubjects: string[];
  ackWaitMs: number;
  maxDeliver: number;
  /** Ack-timeout backoff; must be shorter than maxDeliver. */
  backoffMs?: number[];
  deliverPolicy?: DeliverPolicy;
  /** Bound on delivered, unacknowledged messages (nak-delayed ones count); -1 = none. Server default 1000. */
  maxAckPending?: number;
}

export async function ensureDurableConsumer(jsm: JetStreamManager, spec: DurableConsumerSpec): Promise<void> {
  const config = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    filter_subjects: spec.filterSubjects,
    deliver_policy: spec.deliverPolicy ?? DeliverPolicy.All,
    ...(spec.backoffMs ? { backoff: spec.backoffMs.map(nanos) } : {}),
    ...(spec.maxAckPending !== undefined ? { max_ack_pending: spec.maxAckPending } : {}),
  };
  // Retried on a timeout: a replicated consumer's placement can outlast a request on a loaded cluster.
  await retryOnTimeout(async () => {
    try {
      await jsm.consumers.info(spec.stream, spec.durable);
      const { deliver_policy: _ignored, durable_name: _name, ...updatable } = config;
      await jsm.consumers.update(spec.stream, spec.durable, updatable);
    } catch (err) {
      if (!String((err as Error).message).includes('not found')) throw err;
      await jsm.consumers.add(spec.stream, config);
    }
  });
}

export async function jetStreamClients(nc: NatsConnection): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
  return { js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Publishes JSON with a de-duplication id and the current trace context; resolves on the stream's ack. */
export async function publishJson(
  js: JetStreamClient,
  subject: string,
  data: unknown,
  msgID: string,
  timeoutMs = 5_000,
): Promise<{ duplicate: boolean; seq: number }> {
  return inSpan(
    `send ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.message.id': msgID },
    },
    async () => {
      const h = natsHeaders();
      injectTraceHeaders(h);
      const ack = await js.publish(subject, JSON.stringify(data), { msgID, headers: h, timeout: timeoutMs });
      return { duplicate: ack.duplicate, seq: ack.seq };
    },
  );
}

/**
 * `publishJson` retried under the same message id until `budgetMs` has passed: for an intake that
 * answers "accepted" or "nothing accepted" (ADR 0024). A publish whose ack was lost — the stream's
 * leader died after storing it, or an election was under way — is sent again; JetStream's
 * de-duplication answers `duplicate` if the first one was stored, so an acknowledgement is never
 * mistaken for a failure while a new leader comes up within the budget. Throws the last error.
 */
export async function publishJsonWithin(
  js: JetStreamClient,
  subject: string,
  data: unknown,
  msgID: string,
  budgetMs: number,
  opts: { attemptMs?: number; pauseMs?: number } = {},
): Promise<{ duplicate: boolean; seq: number; attempts: number }> {
  const deadline = Date.now() + budgetMs;
  const attemptMs = opts.attemptMs ?? PUBLISH_ATTEMPT_MS;
  const pauseMs = opts.pauseMs ?? 250;
  for (let attempts = 1; ; attempts++) {
    const left = deadline - Date.now();
    try {
      const ack = await publishJson(js, subject, data, msgID, Math.max(100, Math.min(attemptMs, left)));
      return { ...ack, attempts };
    } catch (err) {
      if (deadline - Date.now() <= pauseMs) throw err;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** One attempt of publishJsonWithin: about an election's length (a stream leader lost is replaced in a few seconds). */
const PUBLISH_ATTEMPT_MS = 2_000;

/**
 * Redelivery delay after a handler error (typically a dependency being down): 1 s doubling to a
 * 60 s cap, so the default 10 deliveries ride out about four minutes of outage before a message
 * is dead-lettered.
 */
export function errorRetryDelayMs(deliveryCount: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, deliveryCount - 1));
}

export interface DeadLetter {
  consumer: string;
  streamSequence: number;
  subject: string;
  data: string;
  reason: string;
  deliveryCount: number;
}

export type MessageDisposition = 'ack' | { nakMs: number } | { term: string };

export interface ConsumeLoop {
  stop(): Promise<void>;
}

/**
 * Pulls messages from a durable consumer, validates each against `schema` (poison messages are
 * dead-lettered at once) and hands it to `handle`, inside a span continuing the publisher's trace;
 * `handle` decides the disposition. Acks wait for the server's confirmation (a round trip), so a
 * message is never considered done before its effect is — unless `confirmAcks` is false: for
 * handlers whose effect is durable before they return and that change nothing when the message
 * comes again (a lost ack only means a redelivery after the ack wait). A thrown error naks with a growing delay
 * (`errorRetryDelayMs`); after `maxDeliver` attempts the message is dead-lettered and terminated.
 */
const FETCH_EXPIRES_MS = 2_000;

export async function consumeDurable<T>(opts: {
  js: JetStreamClient;
  stream: string;
  durable: string;
  maxDeliver: number;
  maxInFlight: number;
  logger: Logger;
  metrics: ConsumerMetrics;
  /** Every message is JSON validated by this schema; anything else is a poison message. */
  schema: ZodType<T>;
  handle: (data: T, msg: JsMsg) => Promise<MessageDisposition>;
  /** Stores a message given up on (the service's dead-letter collection). */
  recordDeadLetter: (entry: DeadLetter) => Promise<void>;
  /** Wait for the server to confirm each ack (default true; see above). */
  confirmAcks?: boolean;
}): Promise<ConsumeLoop> {
  const consumer = await opts.js.consumers.get(opts.stream, opts.durable);
  const inflight = new Set<Promise<void>>();
  const label = { consumer: opts.durable };

  const deadLetter = async (msg: JsMsg, reason: string) => {
    await opts.recordDeadLetter({
      consumer: opts.durable,
      streamSequence: msg.info.streamSequence,
      subject: msg.subject,
      data: msg.string(),
      reason,
      deliveryCount: msg.info.deliveryCount,
    });
    opts.logger.warn({ subject: msg.subject, reason, delivery: msg.info.deliveryCount }, 'message dead-lettered');
  };

  const process = async (msg: JsMsg) => {
    const end = opts.metrics.handled.startTimer(label);
    let outcome = 'ack';
    if (msg.info.deliveryCount > 1) opts.metrics.redeliveries.inc(label);
    try {
      const disposition = await inSpan(
        `process ${msg.subject}`,
        {
          kind: SpanKind.CONSUMER,
          parent: extractTraceContext(msg.headers),
          attributes: {
            'messaging.system': 'nats',
            'messaging.destination.name': msg.subject,
            'messaging.consumer.group.name': opts.durable,
          },
        },
        () => {
          let raw: unknown;
          try {
            raw = msg.json();
          } catch {
            return Promise.resolve<MessageDisposition>({ term: 'malformed_json' });
          }
          const parsed = opts.schema.safeParse(raw);
          return parsed.success ? opts.handle(parsed.data, msg) : Promise.resolve<MessageDisposition>({ term: 'invalid_message' });
        },
      );
      if (disposition === 'ack') {
        if (opts.confirmAcks === false) msg.ack();
        else await msg.ackAck();
      } else if ('term' in disposition) {
        outcome = 'dead_letter';
        await deadLetter(msg, disposition.term);
        opts.metrics.deadLetters.inc({ ...label, reason: disposition.term });
        msg.term(disposition.term);
      } else {
        outcome = 'nak';
        msg.nak(disposition.nakMs);
      }
    } catch (err) {
      outcome = 'error';
      opts.logger.error({ err, subject: msg.subject, delivery: msg.info.deliveryCount }, 'message handling failed; will retry');
      if (msg.info.deliveryCount >= opts.maxDeliver) {
        outcome = 'dead_letter';
        await deadLetter(msg, 'max_deliveries').catch((e: unknown) => opts.logger.error({ err: e }, 'dead letter record failed'));
        opts.metrics.deadLetters.inc({ ...label, reason: 'max_deliveries' });
        msg.term('max_deliveries');
      } else msg.nak(errorRetryDelayMs(msg.info.deliveryCount));
    } finally {
      end({ outcome });
    }
  };

  // Pull only as many messages as there are free handler slots: a message never waits in a client
  // buffer, unworked, while its ack wait runs out (which would redeliver it to another replica
  // while this one still holds it).
  let stopped = false;
  let batch: ConsumerMessages | undefined;
  const loop = (async () => {
    while (!stopped) {
      if (inflight.size >= opts.maxInFlight) {
        await Promise.race(inflight);
        continue;
      }
      try {
        batch = await consumer.fetch({ max_messages: opts.maxInFlight - inflight.size, expires: FETCH_EXPIRES_MS });
        for await (const msg of batch) {
          const p = process(msg).finally(() => inflight.delete(p));
          inflight.add(p);
        }
      } catch (err) {
        if (stopped) break;
        opts.logger.warn({ err }, 'fetch from the consumer failed; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      batch?.stop();
      await loop.catch(() => undefined);
      await Promise.allSettled([...inflight]);
    },
  };
}
