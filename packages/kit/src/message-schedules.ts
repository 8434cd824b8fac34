import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { messageIds, type DebounceCommand, type Subjects, type TimerCommand } from '@flowgate/contracts';
import { injectTraceHeaders } from './trace-context';

/**
 * JetStream message schedules (nats-server ≥ 2.12, ADR-51; Flowgate's ADR 0013): a message stored
 * on a *schedule subject* with `Nats-Schedule: @at <RFC 3339>` and `Nats-Schedule-Target: <subject>`
 * is published by the server to the target subject (of the same stream) at that time, and the
 * schedule message is removed in the same step. No store write, no poll, no scan: the timer lives in
 * the stream, replicated and persisted like any message, and survives a server restart (one due
 * while the server was down fires as soon as it is back).
 *
 * Rules the server enforces (verified on v2.15.3):
 * - the stream has `allow_msg_schedules: true` (ensureStreams sets it on the commands stream);
 *   the target is a subject of that stream and differs from the schedule subject;
 * - one schedule per schedule subject: publishing again to the same subject *replaces* the pending
 *   schedule (an automatic `Nats-Rollup: sub`), so scheduling the same timer twice leaves one;
 * - purging the schedule subject cancels it; a schedule due in the past fires at once;
 * - the server fires at most every 250 ms, all that is due in one pass: expect ~0–0.3 s lag;
 * - the generated message keeps the schedule message's other headers verbatim but *not*
 *   `Nats-Msg-Id` (nor `Nats-Schedule*`, `Nats-Expected-*`, `Nats-TTL`, `Nats-Rollup`), and it
 *   reaches consumers of the stream only (the server stores it directly; core subscribers to the
 *   target subject do not see it). It carries `Nats-Scheduler: <schedule subject>`.
 *
 * So the dedup key of a scheduled message travels in its own header, `Flowgate-Msg-Id`
 * (read it with `scheduledMessageId`). It is deliberately not sent as `Nats-Msg-Id`: JetStream
 * would remember that id for the duplicate window and silently drop a re-schedule made after a
 * cancel. Idempotence comes from the schedule subject instead.
 */
export const SCHEDULED_MSG_ID_HEADER = 'Flowgate-Msg-Id';
/** Set by the server on a message a schedule produced: the schedule subject. */
export const SCHEDULER_HEADER = 'Nats-Scheduler';

export interface ScheduleMessageOptions {
  /** Holds the schedule (one per subject); must be in the stream, e.g. `subjects.timerSchedule(...)`. */
  scheduleSubject: string;
  /** Where the message is published when due: a subject of the same stream, e.g. `subjects.command('timer', ws)`. */
  targetSubject: string;
  /** When to publish; a time in the past publishes at once. Millisecond precision. */
  at: Date;
  payload: string | Uint8Array;
  /** Dedup key carried to the target as `Flowgate-Msg-Id`; default `<scheduleSubject>@<at ISO>`. */
  msgId?: string;
  /** Extra headers, kept on the target message (names starting `Nats-Schedule` are stripped by the server). */
  headers?: Record<string, string>;
  /** Wait for the stream's ack this long (default 5 s). */
  timeoutMs?: number;
}

export interface ScheduledMessage {
  /** Stream sequence of the schedule message. */
  seq: number;
  /** The `Flowgate-Msg-Id` the target message will carry. */
  msgId: string;
}

/**
 * Stores a one-shot schedule; resolves on the stream's ack (the schedule is durable then). The
 * current trace context is injected, so the target's consumer continues the scheduler's trace.
 */
export async function scheduleMessage(js: JetStreamClient, opts: ScheduleMessageOptions): Promise<ScheduledMessage> {
  if (Number.isNaN(opts.at.getTime())) throw new Error('scheduleMessage: invalid time');
  const msgId = opts.msgId ?? `${opts.scheduleSubject}@${opts.at.toISOString()}`;
  const h: MsgHdrs = natsHeaders();
  for (const [name, value] of Object.entries(opts.headers ?? {})) h.set(name, value);
  h.set(SCHEDULED_MSG_ID_HEADER, msgId);
  injectTraceHeaders(h);
  const ack = await js.publish(opts.scheduleSubject, opts.payload, {
    headers: h,
    timeout: opts.timeoutMs ?? 5_000,
    schedule: { specification: opts.at, target: opts.targetSubject },
  });
  return { seq: ack.seq, msgId };
}

/**
 * Cancels the pending schedule(s) on `scheduleSubject` (a wildcard cancels every schedule under it)
 * by purging that subject of `stream`; returns how many were removed. 0 means none was pending:
 * never scheduled, cancelled before, or already fired; a consumer of the target must tolerate a
 * message that fired just before the cancel.
 */
export async function cancelScheduled(jsm: JetStreamManager, stream: string, scheduleSubject: string): Promise<number> {
  const { purged } = await jsm.streams.purge(stream, { filter: scheduleSubject });
  return purged;
}

/** The `Flowgate-Msg-Id` of a message a schedule produced (undefined on any other message). */
export function scheduledMessageId(headers: MsgHdrs | undefined): string | undefined {
  return headers?.get(SCHEDULED_MSG_ID_HEADER) || undefined;
}

/**
 * A timer as a message schedule in the commands stream: at `command.due_at` the server publishes
 * `command` (JSON) to `subjects.command('timer', workspace)`, where the executor's consumer receives it
 * like any command. The schedule subject is `subjects.timerSchedule(workspace, timer_id)`, so setting
 * the same timer again replaces it (one pending schedule per timer id) and cancelTimer removes it.
 * The target carries `Flowgate-Msg-Id: messageIds.timer(timer_id, due_at)`.
 */
export function scheduleTimer(js: JetStreamClient, subjects: Subjects, command: TimerCommand): Promise<ScheduledMessage> {
  return scheduleMessage(js, {
    scheduleSubject: subjects.timerSchedule(command.workspace_id, command.timer_id),
    targetSubject: subjects.command('timer', command.workspace_id),
    at: new Date(command.due_at),
    payload: JSON.stringify(command),
    msgId: messageIds.timer(command.timer_id, command.due_at),
  });
}

/** Cancels one timer set by scheduleTimer; false if none was pending (it may have fired already). */
export async function cancelTimer(jsm: JetStreamManager, subjects: Subjects, workspaceId: string, timerId: string): Promise<boolean> {
  return (await cancelScheduled(jsm, subjects.commandsStream, subjects.timerSchedule(workspaceId, timerId))) > 0;
}

/** Cancels every pending timer of one execution (timer ids `<execution id>:…`), in one purge. */
export function cancelExecutionTimers(
  jsm: JetStreamManager,
  subjects: Subjects,
  workspaceId: string,
  executionId: string,
): Promise<number> {
  return cancelScheduled(jsm, subjects.commandsStream, subjects.executionTimerSchedules(workspaceId, executionId));
}

/**
 * A debounce window's schedule (ADR 0022): at `command.due_at` the server publishes `command` to
 * `subjects.command('debounce', workspace)`. One schedule subject per window, so every event of the
 * window sets it again (replacing it) and the executor's fire moves it to the window's due time.
 */
export function scheduleDebounce(
  js: JetStreamClient,
  subjects: Subjects,
  command: DebounceCommand,
  timeoutMs?: number,
): Promise<ScheduledMessage> {
  const scheduleSubject = subjects.debounceSchedule(command.workspace_id, command.workflow_id, command.key_token);
  return scheduleMessage(js, {
    scheduleSubject,
    targetSubject: subjects.command('debounce', command.workspace_id),
    at: new Date(command.due_at),
    payload: JSON.stringify(command),
    timeoutMs,
  });
}
