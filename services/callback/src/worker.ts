import type { ExecutionEvent, RedeliverRequest } from '@flowgate/contracts';
import type { JsMsg, Logger, MessageDisposition, WorkspaceLabels } from '@flowgate/kit';
import {
  createDelivery,
  findDelivery,
  findOwnedDelivery,
  markAttemptStarted,
  recordDeliveryAttempt,
  startDeliveryCycle,
  type Collections,
  type DeliveryAttempt,
  type DeliveryDoc,
  type DeliveryStatus,
} from '@flowgate/store';
import type { Counter, Histogram } from 'prom-client';
import type { Dispatcher } from 'undici';
import { jittered } from './config';
import { callbackPayload, callbackTarget, sendSigned } from './deliver';
import { ShuttingDownError, type DeliveryLimiter } from './limiter';
import type { WorkspaceSigners } from './signers';

/**
 * One delivery = one document in `deliveries` (its id is the `webhook-id`) driven by one JetStream
 * message at a time: the execution event for the first cycle, a redeliver request for later ones
 * (`driver_seq` names the message; any other message for the same delivery is acked untouched).
 * The message is held during an attempt and nak'ed with the next (jittered) delay from the
 * schedule; `next_attempt_at` in the document is the truth, so an early redelivery waits again.
 * `attempt_started_at` is set just before a request leaves: if the process dies, the message comes
 * back after the ack wait, the attempt is recorded as `interrupted` and made again at once with the
 * same `webhook-id` — the receiver may see it twice and can de-duplicate.
 */
export interface WorkerDeps {
  store: Collections;
  limiter: DeliveryLimiter;
  signers: WorkspaceSigners;
  dispatcher: Dispatcher;
  logger: Logger;
  schedule: number[];
  jitter: number;
  timeoutMs: number;
  /** Counters carry the delivery's bounded `workspace_id` (FLOWGATE_METRICS_MAX_WORKSPACES); the histogram does not (buckets × workspaces would be many series). */
  metrics: {
    workspaces: WorkspaceLabels;
    attempts: Counter<'outcome' | 'workspace_id'>;
    attemptSeconds: Histogram<'outcome'>;
    failed: Counter<'reason' | 'workspace_id'>;
    deferred: Counter<'workspace_id'>;
  };
}

/** An early redelivery within this margin of `next_attempt_at` attempts at once. */
const EARLY_TOLERANCE_MS = 250;
/** Interrupted attempts of one cycle that are re-tried at once before the schedule takes over. */
const MAX_INTERRUPTED_RETRIES = 3;

const INTERRUPTED = 'interrupted';

export class DeliveryWorker {
  constructor(private readonly deps: WorkerDeps) {}

  async onExecutionEvent(event: ExecutionEvent, msg: JsMsg): Promise<MessageDisposition> {
    const target = callbackTarget(event);
    if (!target) return 'ack';
    const now = new Date();
    await createDelivery(this.deps.store.deliveries, {
      _id: target.id,
      workspace_id: event.workspace_id,
      execution_id: event.execution_id,
      workflow_id: event.workflow_id,
      event: target.type,
      url: target.url,
      status: 'pending',
      attempts: [],
      payload_json: callbackPayload(event, target.type, now),
      cycle: 1,
      driver_seq: msg.info.streamSequence,
      next_attempt_at: new Date(now.getTime() + this.delayBefore(1)),
      attempt_started_at: null,
      created_at: now,
      updated_at: now,
    });
    return this.drive(target.id, msg);
  }

  async onRedeliver(req: RedeliverRequest, msg: JsMsg): Promise<MessageDisposition> {
    const doc = await findOwnedDelivery(this.deps.store.deliveries, req.workspace_id, req.delivery_id);
    if (!doc) return 'ack';
    const cycle = doc.cycle ?? 1;
    if (cycle === req.after_cycle && doc.status !== 'pending') {
      await startDeliveryCycle(this.deps.store.deliveries, doc, msg.info.streamSequence, new Date());
      this.deps.logger.info(
        { delivery_id: doc._id, execution_id: doc.execution_id, workspace_id: doc.workspace_id, cycle: cycle + 1 },
        'callback redelivery started',
      );
    }
    return this.drive(doc._id, msg);
  }

  private delayBefore(attemptNo: number): number {
    return jittered((this.deps.schedule[attemptNo - 1] ?? 0) * 1000, this.deps.jitter);
  }

  private async drive(id: string, msg: JsMsg): Promise<MessageDisposition> {
    const { store, logger } = this.deps;
    const doc = await findDelivery(store.deliveries, id);
    if (!doc || doc.status !== 'pending') return 'ack';
    if (doc.driver_seq !== undefined && doc.driver_seq !== msg.info.streamSequence) return 'ack'; // another message drives it
    const cycle = doc.cycle ?? 1;
    const log = { delivery_id: id, execution_id: doc.execution_id, workspace_id: doc.workspace_id, cycle };
    const workspace = this.deps.metrics.workspaces.of(doc.workspace_id);
    const inCycle = doc.attempts.filter((a) => (a.cycle ?? 1) === cycle);
    const interrupted = inCycle.filter((a) => a.error_code === INTERRUPTED).length;
    let completed = inCycle.length - interrupted;

    if (doc.attempt_started_at) {
      // The previous holder of this message died during an attempt (or lost NATS for longer than the ack wait).
      const at = doc.attempt_started_at;
      const attempt: DeliveryAttempt = {
        at,
        status_code: null,
        latency_ms: Math.max(0, Date.now() - at.getTime()),
        error: 'interrupted: the callback service stopped during this attempt; the receiver may have received it',
        error_code: INTERRUPTED,
        response_body: null,
        cycle,
        attempt: inCycle.length + 1,
      };
      const overLimit = interrupted + 1 > MAX_INTERRUPTED_RETRIES;
      if (overLimit) completed++;
      const exhausted = overLimit && completed >= this.deps.schedule.length;
      await this.record(id, cycle, attempt, exhausted ? 'failed' : 'pending', new Date());
      this.deps.metrics.attempts.inc({ outcome: INTERRUPTED, workspace_id: workspace });
      logger.warn({ ...log, attempt: attempt.attempt }, 'callback attempt was interrupted; attempting again');
      if (exhausted) {
        this.deps.metrics.failed.inc({ reason: INTERRUPTED, workspace_id: workspace });
        return 'ack';
      }
      return this.drive(id, msg);
    }

    const dueIn = (doc.next_attempt_at?.getTime() ?? 0) - Date.now();
    if (dueIn > EARLY_TOLERANCE_MS) return { nakMs: dueIn };
    if (doc.payload_json === undefined) {
      await this.record(id, cycle, null, 'failed', new Date());
      logger.error(log, 'delivery without a stored payload (created by an older version); marked failed');
      return 'ack';
    }

    let host: string;
    try {
      host = new URL(doc.url).host;
    } catch {
      host = doc.url;
    }
    let release: (() => void) | null;
    try {
      release = await this.deps.limiter.acquire(host);
    } catch (err) {
      if (err instanceof ShuttingDownError) return { nakMs: 0 };
      throw err;
    }
    if (!release) {
      // This destination already has its share on the wire and a queue: hand the message back.
      this.deps.metrics.deferred.inc({ workspace_id: workspace });
      return { nakMs: jittered(this.deps.timeoutMs, this.deps.jitter) };
    }
    const attemptNo = completed + 1;
    let result: Awaited<ReturnType<typeof sendSigned>>;
    try {
      const now = new Date();
      const signers = await this.deps.signers.forWorkspace(doc.workspace_id, now);
      await markAttemptStarted(store.deliveries, id, cycle, now);
      result = await sendSigned({
        url: doc.url,
        webhookId: id,
        payload: doc.payload_json,
        signers,
        timeoutMs: this.deps.timeoutMs,
        dispatcher: this.deps.dispatcher,
        now,
      });
    } finally {
      release();
    }

    const { retryable, ...attempt } = result;
    const succeeded = attempt.error === null;
    const exhausted = attemptNo >= this.deps.schedule.length;
    const status: DeliveryStatus = succeeded ? 'succeeded' : retryable && !exhausted ? 'pending' : 'failed';
    const delay = status === 'pending' ? this.delayBefore(attemptNo + 1) : 0;
    await this.record(
      id,
      cycle,
      { ...attempt, cycle, attempt: inCycle.length + 1 },
      status,
      status === 'pending' ? new Date(Date.now() + delay) : null,
    );
    const outcome = succeeded ? 'succeeded' : status === 'pending' ? 'retry' : 'failed';
    this.deps.metrics.attempts.inc({ outcome, workspace_id: workspace });
    this.deps.metrics.attemptSeconds.observe({ outcome }, attempt.latency_ms / 1000);
    if (status === 'failed')
      this.deps.metrics.failed.inc({ reason: retryable ? 'exhausted' : (attempt.error_code ?? 'final_answer'), workspace_id: workspace });
    logger.info(
      { ...log, attempt: attemptNo, status, status_code: attempt.status_code, error_code: attempt.error_code, next_in_ms: delay },
      'callback attempt',
    );
    return status === 'pending' ? { nakMs: delay } : 'ack';
  }

  /** Appends an attempt (if any) and moves the delivery on; `next` is the next attempt time (pending) or null. */
  private async record(id: string, cycle: number, attempt: DeliveryAttempt | null, status: DeliveryStatus, next: Date | null) {
    const set: Partial<DeliveryDoc> = { status, attempt_started_at: null, updated_at: new Date() };
    if (status !== 'pending') set.next_attempt_at = null;
    else if (next) set.next_attempt_at = next;
    await recordDeliveryAttempt(this.deps.store.deliveries, id, cycle, attempt, set);
  }
}
