import './instrument';
import { executionEventSchema, type ExecutionEvent } from '@flowgate/contracts';
import {
  consumeDurable,
  consumerMetrics,
  counter,
  ensureDurableConsumer,
  runMain,
  startRuntime,
  type MessageDisposition,
} from '@flowgate/kit';
import { collections, ensureIndexes, insertIfAbsent, recordDeadLetter } from '@flowgate/store';
import { Webhook } from 'standardwebhooks';
import { loadCallbackConfig } from './config';
import { callbackPayload, callbackTarget, sendSigned } from './deliver';

const CONSUMER = 'callback';
const TERMINAL = ['succeeded', 'failed', 'timed_out', 'cancelled'];

runMain('callback', async () => {
  const config = loadCallbackConfig();
  const rt = await startRuntime('callback', config);
  const { logger, subjects } = rt;
  const store = collections(rt.db);
  await ensureIndexes(store);
  const consumer = consumerMetrics(rt.registry);
  const attemptsTotal = counter(rt.registry, 'flowgate_callback_attempts_total', 'Callback delivery attempts by outcome', ['outcome']);
  const schedule = config.FLOWGATE_CALLBACK_RETRY_SCHEDULE_S;
  const signer = new Webhook(config.FLOWGATE_CALLBACK_SIGNING_SECRET);
  const maxDeliver = schedule.length + 2;
  await ensureDurableConsumer(rt.jsm, {
    stream: subjects.eventsStream,
    durable: CONSUMER,
    filterSubjects: TERMINAL.map((s) => subjects.executionEventsFilter(s)),
    ackWaitMs: config.FLOWGATE_CALLBACK_TIMEOUT_MS + 20_000,
    maxDeliver,
  });

  const handle = async (event: ExecutionEvent): Promise<MessageDisposition> => {
    const target = callbackTarget(event);
    if (!target) return 'ack';
    const id = `${event.execution_id}.${target.type}`;
    const now = new Date();
    await insertIfAbsent(store.deliveries, {
      _id: id,
      workspace_id: event.workspace_id,
      execution_id: event.execution_id,
      event: target.type,
      url: target.url,
      status: 'pending',
      attempts: [],
      created_at: now,
      updated_at: now,
    });
    const delivery = await store.deliveries.findOne({ _id: id });
    if (!delivery || delivery.status !== 'pending') return 'ack';
    const attemptNo = delivery.attempts.length + 1;
    const { retryable, ...attempt } = await sendSigned({
      url: target.url,
      webhookId: id,
      payload: callbackPayload(event, target.type, now),
      signer,
      timeoutMs: config.FLOWGATE_CALLBACK_TIMEOUT_MS,
      now,
    });
    const succeeded = attempt.error === null;
    const exhausted = attemptNo >= schedule.length;
    const status = succeeded ? 'succeeded' : retryable && !exhausted ? 'pending' : 'failed';
    await store.deliveries.updateOne({ _id: id }, { $push: { attempts: attempt }, $set: { status, updated_at: new Date() } });
    attemptsTotal.inc({ outcome: succeeded ? 'succeeded' : status === 'pending' ? 'retry' : 'failed' });
    logger.info(
      { execution_id: event.execution_id, delivery_id: id, attempt: attemptNo, status, status_code: attempt.status_code },
      'callback attempt',
    );
    if (status === 'pending') return { nakMs: (schedule[attemptNo] ?? 0) * 1000 };
    return 'ack';
  };

  const loop = await consumeDurable({
    js: rt.js,
    stream: subjects.eventsStream,
    durable: CONSUMER,
    maxDeliver,
    maxInFlight: config.FLOWGATE_CALLBACK_CONCURRENCY,
    logger,
    metrics: consumer,
    schema: executionEventSchema,
    handle,
    recordDeadLetter: (entry) => recordDeadLetter(store.deadLetters, entry),
  });
  rt.ready();

  rt.onShutdown([{ name: 'stop consuming and finish in-flight deliveries', run: () => loop.stop() }]);
});
