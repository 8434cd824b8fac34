import {
  carriedSteps,
  completeStep,
  DomainError,
  endRun,
  isParking,
  isTerminal,
  planStep,
  readsPersistedContext,
  resolveWait,
  runLocalStep,
  startRun,
  startRunAt,
  type ExecutionErrorInfo,
  type WaitEvent,
  type StepOutcome,
  type TriggerInput,
  type WorkflowDefinition,
  type SlotGate,
  concurrencyKeysOf,
  gateOfQueue,
  slotGatesOf,
} from '@flowgate/core';
import type { ResumeCommand, StartCommand, TimerCommand } from '@flowgate/contracts';
import { inSpan, type Logger, type MessageDisposition } from '@flowgate/kit';
import {
  deleteWaitTokensOf,
  fromJsonText,
  newExecutionOf,
  queuedExecution,
  contextKeyOf,
  readContext,
  startCommandOf,
  writeContext,
  toJsonText,
  triggerInputJsonOf,
  type Collections,
  type ExecutionDoc,
  type LiveExecution,
  type StepExecutionDoc,
} from '@flowgate/store';
import type { ExecutionConfig } from './config';
import type { DefinitionCache } from './definitions';
import type { EgressPolicy } from './egress-policy';
import { runHttpStep } from './http-step';
import { parkStep, setDurationTimer, UNPARKED, WAIT_TIMER } from './parking';
import type { ExecutionMetrics } from './metrics';
import { docChangesOf, runStateOf } from './run-state';
import type { LiveState, Messaging, SlotQueues } from './seams';
import { withStep } from './step-records';

/**
 * Drives executions: applies the core state machine step by step, checkpointing every step in the
 * execution's live state (NATS KV, compare-and-set, replicated; packages/store live-executions.ts)
 * before moving on; MongoDB follows by group commit (an end at once, a park before the command is
 * acknowledged), and a live key leaves only once MongoDB has its end. A redelivered command resumes
 * from the live cursor, so completed steps never run again; the interrupted step runs again with the
 * same idempotency key.
 */
export interface RunnerDeps {
  store: Collections;
  live: LiveState;
  /** max_concurrent_executions queues (NATS KV). */
  slots: SlotQueues;
  /** Events, start commands and timers (JetStream; seams.ts jetStreamMessaging). */
  messaging: Messaging;
  definitions: Pick<DefinitionCache, 'get'>;
  config: ExecutionConfig;
  metrics: ExecutionMetrics;
  logger: Logger;
  /** SSRF guard for http steps (unset: undici's global dispatcher, no guard). */
  egress?: EgressPolicy;
  /** Workspaces being deleted (workspace-egress.ts, from memory): their start commands run nothing. */
  workspaces?: { isDeleted(workspaceId: string): Promise<boolean> };
  now?: () => Date;
}

/** How long an execution runs before its duration timer is set. */
const DURATION_TIMER_AFTER_MS = 1_000;
const PARKING_TYPES = new Set(['delay', 'wait_for_webhook', 'approval']);

const stepTypeOf = (def: WorkflowDefinition, stepId: string) => def.steps.find((s) => s.id === stepId)?.type;

/** A step attempt's record before its outcome is known. */
type StepRecordBase = Omit<StepExecutionDoc, 'status' | 'input_json' | 'output_json' | 'error' | 'finished_at'>;

export class Runner {
  private readonly now: () => Date;
  /** Aborts in-flight steps of executions ended by a timer or cancel handled on this replica. */
  private readonly aborts = new Map<string, AbortController>();
  /** Duration timers not set yet (most executions end before they need one), and those set, by execution. */
  private readonly timers = new Map<string, NodeJS.Timeout | 'set'>();
  /**
   * Begun but not written yet (begin computes the running state; the first write of the run — the
   * first http step's in-flight record, a local step's result, a park — carries it, one
   * compare-and-set fewer per execution). A crash before that write leaves the execution queued.
   */
  private readonly unwritten = new WeakSet<LiveExecution>();
  /** The live state as the runner writes it: a write that carries a begin does the start's bookkeeping. */
  private readonly live: LiveState;

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.live = {
      peek: (workspaceId, id) => deps.live.peek(workspaceId, id),
      get: (workspaceId, id) => deps.live.get(workspaceId, id),
      project: (x) => deps.live.project(x),
      write: async (current, doc, steps, opts) => {
        const next = await deps.live.write(current, doc, steps, opts);
        if (next && this.unwritten.has(current)) this.started(next);
        return next;
      },
    };
  }

  async handleStart(cmd: StartCommand, keepAlive: () => void): Promise<MessageDisposition> {
    // A start not made live yet (the ingress makes it live right after the command's ack, which can
    // come after this delivery; the scheduler records its runs in MongoDB) starts from the command:
    // no MongoDB read on the hot path (on FerretDB even a read by _id takes time linear in the collection).
    const peeked = await this.live.peek(cmd.workspace_id, cmd.execution_id);
    const known =
      peeked.kind === 'live' ? peeked.x : peeked.kind === 'retired' ? await this.live.get(cmd.workspace_id, cmd.execution_id) : null;
    let x: LiveExecution = known ?? {
      doc: queuedExecution(newExecutionOf(cmd)),
      steps: [],
      from: 'store',
    };
    const doc = x.doc;
    // A start that never became live, of a workspace being deleted (ADR 0016): dropped, nothing runs.
    if (!known && (await this.deps.workspaces?.isDeleted(doc.workspace_id))) return { term: 'workspace_deleted' };
    const def = await this.deps.definitions.get(doc.workflow_id, doc.workflow_version, doc.draft_id);
    if (!def) {
      const ended = await this.finishWithError(x, {
        code: 'workflow_not_found',
        message: `workflow ${doc.workflow_id} v${doc.workflow_version} not found`,
      });
      if (ended) await this.announceTerminal(ended);
      return { term: 'unknown_workflow' };
    }
    if (doc.status === 'queued') {
      // Its slot queues decide, in order (core slotGatesOf): run now, or wait in arrival order for a place.
      const keys = await this.concurrencyKeysOf(doc, def);
      for (const gate of slotGatesOf(def, keys)) {
        const { runs, promoted } = await this.deps.slots.arrive(doc.workspace_id, doc.workflow_id, gate, doc._id);
        await this.startPromoted(doc, promoted, gate);
        if (runs) continue;
        if (!doc.slot_wait || (keys.length > 0 && !doc.concurrency_keys)) {
          const waiting = await this.live.write(x, { ...doc, slot_wait: true, concurrency_keys: keys, updated_at: this.now() }, x.steps);
          if (!waiting) return this.handleStart(cmd, keepAlive); // changed meanwhile (a cancel): decide again
          x = waiting;
          this.deps.metrics.slotWaits.inc({ workspace_id: this.deps.metrics.workspaces.of(doc.workspace_id) });
        }
        return 'ack';
      }
      if (keys.length > 0 && !doc.concurrency_keys) x = { ...x, doc: { ...x.doc, concurrency_keys: keys } };
    }
    if (x.doc.status === 'running' && x.doc.started_at && x.doc.duration_left_ms == null) {
      // A redelivery after a crash (the first write started it): the duration timer may not be set.
      const limitMs = def.max_workflow_duration_seconds * 1000;
      await this.setDurationTimerNow(x.doc, x.doc.duration_due_at ?? new Date(x.doc.started_at.getTime() + limitMs));
    }
    // A concurrent write can move the revision under the first write of a begun run (it is then
    // read again): begin again while it is still queued.
    if (x.doc.status !== 'queued') {
      await this.drive(x, def, keepAlive);
      return 'ack';
    }
    for (let i = 0; i < 10 && x.doc.status === 'queued'; i++) x = await this.drive(await this.begin(x, def), def, keepAlive);
    if (x.doc.status === 'queued') throw new Error(`could not start execution ${doc._id}: too many concurrent changes`);
    return 'ack';
  }

  /** Runs an execution's steps until it ends or parks; announces the end. Returns where it stopped. */
  private async drive(start: LiveExecution, def: WorkflowDefinition, keepAlive: () => void): Promise<LiveExecution> {
    if (start.doc.status === 'queued') return start;
    const abort = new AbortController();
    this.aborts.set(start.doc._id, abort);
    let x = start;
    try {
      x = await this.runSteps(start, def, keepAlive, abort.signal);
    } finally {
      this.aborts.delete(start.doc._id);
    }
    if (isTerminal(x.doc.status)) await this.announceTerminal(x);
    return x;
  }

  async handleTimer(cmd: TimerCommand, keepAlive: () => void, redelivered = false): Promise<MessageDisposition> {
    this.deps.metrics.timersFired.inc({ kind: cmd.kind });
    this.deps.metrics.timerLag.observe({ kind: cmd.kind }, Math.max(0, this.now().getTime() - Date.parse(cmd.due_at)) / 1000);
    const x = await this.live.get(cmd.workspace_id, cmd.execution_id);
    if (!x) return { term: 'unknown_execution' };
    const doc = x.doc;
    const def = await this.deps.definitions.get(doc.workflow_id, doc.workflow_version, doc.draft_id);
    if (cmd.kind === 'duration_timeout') {
      await this.endExecution(doc.workspace_id, doc._id, 'timed_out', {
        code: 'workflow_timed_out',
        message: `execution exceeded max_workflow_duration_seconds (${def?.max_workflow_duration_seconds ?? '?'})`,
      });
      return 'ack';
    }
    if (def && redelivered && cmd.timer_id === WAIT_TIMER(doc._id, doc.step_seq) && (await this.continueResumed(x, def, keepAlive)))
      return 'ack';
    // A delay or wait expiry applies only to the wait that set it (a later wait has another timer id).
    if (!def || doc.status !== 'waiting' || cmd.timer_id !== WAIT_TIMER(doc._id, doc.step_seq + 1)) return 'ack';
    const at = this.now();
    await this.resume(x, def, cmd.kind === 'delay' ? { kind: 'delay_elapsed', at } : { kind: 'expired', at }, keepAlive);
    return 'ack';
  }

  /** A public resume / approval URL was used: resumes the wait if the token is still the current one. */
  async handleResume(cmd: ResumeCommand, keepAlive: () => void, redelivered = false): Promise<MessageDisposition> {
    const x = await this.live.get(cmd.workspace_id, cmd.execution_id);
    if (!x) return { term: 'unknown_execution' };
    const doc = x.doc;
    const def = await this.deps.definitions.get(doc.workflow_id, doc.workflow_version, doc.draft_id);
    if (def && redelivered && (await this.continueResumed(x, def, keepAlive))) return 'ack';
    if (!def || doc.status !== 'waiting' || doc.wait_token_hash !== cmd.token_hash) {
      this.deps.logger.info(
        { execution_id: doc._id, workspace_id: doc.workspace_id, status: doc.status },
        'resume ignored: the wait is over',
      );
      return 'ack';
    }
    const at = new Date(cmd.at);
    const event: WaitEvent =
      cmd.event.kind === 'webhook'
        ? { kind: 'webhook', body: fromJsonText(cmd.event.body_json), at }
        : { kind: 'approval', decision: cmd.event.decision, comment: cmd.event.comment, at };
    await this.resume(x, def, event, keepAlive);
    return 'ack';
  }

  /**
   * A resume (or wait timer) delivered again after its first delivery completed the parked step and
   * then failed — NATS away between the write and what follows it (a cluster failing over): the
   * execution is running, its current step is that parking step, finished, and nothing after it
   * ran. Nothing else would drive it on, so this delivery does what the first one could not: the
   * duration timer, the event, the next steps (a concurrent runner is refused by the live state's
   * revision). False when the execution is anywhere else.
   */
  private async continueResumed(x: LiveExecution, def: WorkflowDefinition, keepAlive: () => void): Promise<boolean> {
    const current = x.steps.find((s) => s.seq === x.doc.step_seq);
    const after = x.steps.some((s) => s.seq > x.doc.step_seq);
    if (x.doc.status !== 'running' || !current || !PARKING_TYPES.has(current.type) || current.status === 'running' || after) return false;
    this.deps.logger.info(
      { execution_id: x.doc._id, workspace_id: x.doc.workspace_id },
      'resume delivered again: driving on after the parked step',
    );
    const limitMs = def.max_workflow_duration_seconds * 1000;
    await this.setDurationTimerNow(x.doc, x.doc.duration_due_at ?? new Date(this.now().getTime() + limitMs));
    await this.deps.messaging.publishEvent(x.doc);
    await this.drive(x, def, keepAlive);
    return true;
  }

  /**
   * Completes a parked step with what resumed it, clears the wait (timer, tokens), sets the
   * duration timer again for the time that was left, and drives the execution on.
   */
  private async resume(x: LiveExecution, def: WorkflowDefinition, event: WaitEvent, keepAlive: () => void): Promise<void> {
    const { store } = this.deps;
    const doc = x.doc;
    const seq = doc.step_seq + 1;
    const state = runStateOf(doc);
    let outcome: StepOutcome;
    try {
      outcome = resolveWait(def, state, event);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      this.deps.logger.warn({ execution_id: doc._id, workspace_id: doc.workspace_id, err: err.message }, 'resume ignored');
      return;
    }
    const now = this.now();
    const record = x.steps.find((s) => s.seq === seq);
    let steps = x.steps;
    if (record) {
      steps = withStep(steps, {
        ...record,
        status: outcome.ok ? 'succeeded' : 'failed',
        output_json: outcome.ok ? toJsonText(outcome.output) : null,
        error: outcome.ok ? null : outcome.error,
        finished_at: now,
      });
      this.deps.metrics.stepDuration.observe(
        { type: record.type, outcome: outcome.ok ? 'succeeded' : 'failed' },
        (now.getTime() - record.started_at.getTime()) / 1000,
      );
    }
    const transition = completeStep(def, { ...state, status: 'running' }, outcome, {
      attempt: 1,
      random: Math.random(),
      maxSteps: this.deps.config.FLOWGATE_MAX_STEPS_PER_EXECUTION,
    });
    if (transition.kind === 'retry') throw new Error('a parked step cannot be retried');
    if (transition.persist) {
      await writeContext(store.workflowContext, { workspaceId: doc.workspace_id, workflowId: contextKeyOf(doc) }, transition.persist, now);
    }
    const durationDue = new Date(now.getTime() + (doc.duration_left_ms ?? def.max_workflow_duration_seconds * 1000));
    const changes = {
      ...docChangesOf(transition.state),
      ...UNPARKED,
      attempt: 1,
      step_seq: seq,
      duration_due_at: durationDue,
      updated_at: now,
    };
    const finished = transition.kind === 'finished';
    const next = await this.live.write(x, { ...doc, ...changes, ...(finished ? { finished_at: now } : {}) }, steps);
    if (!next) return; // a cancel or a duration timeout got there first
    await this.deps.messaging.cancelTimer(doc.workspace_id, WAIT_TIMER(doc._id, seq));
    await deleteWaitTokensOf(store.waitTokens, doc._id);
    if (finished) {
      this.countFinished(next.doc);
      await this.announceTerminal(next);
      return;
    }
    await this.setDurationTimerNow(next.doc, durationDue);
    await this.deps.messaging.publishEvent(next.doc);
    await this.drive(next, def, keepAlive);
  }

  /**
   * Ends a queued, running or waiting execution from outside (duration limit, cancel): a guarded
   * write, then the in-flight step on this replica is aborted (a runner elsewhere sees its next
   * write refused) and the terminal event is published. Returns null if it had already ended.
   */
  async endExecution(
    workspaceId: string,
    id: string,
    status: 'timed_out' | 'cancelled',
    error: ExecutionErrorInfo,
  ): Promise<ExecutionDoc | null> {
    for (let i = 0; i < 10; i++) {
      const x = await this.live.get(workspaceId, id);
      const ended = x ? endRun(runStateOf(x.doc), status, error) : null;
      if (!x || !ended) return null;
      const now = this.now();
      // The attempt in flight ends with the execution: its runner's own write will be refused.
      const steps = x.steps.map((s) =>
        s.status === 'running' || s.status === 'waiting'
          ? { ...s, status: 'failed' as const, error: { code: error.code, message: error.message, step_id: s.step_id }, finished_at: now }
          : s,
      );
      const updated = await this.live.write(x, { ...x.doc, ...docChangesOf(ended), finished_at: now, updated_at: now }, steps);
      if (updated) {
        this.countFinished(updated.doc);
        this.aborts.get(id)?.abort(new DomainError(error.code, error.message));
        await this.announceTerminal(updated);
        return updated.doc;
      }
    }
    throw new Error(`could not end execution ${id}: too many concurrent changes`);
  }

  /** The running state of a queued execution, not written yet: the run's first write carries it (`unwritten`). */
  private async begin(x: LiveExecution, def: WorkflowDefinition): Promise<LiveExecution> {
    const now = this.now();
    const doc = x.doc;
    // The persisted context is read only if the run can see it (a scan of workflow_context on FerretDB).
    const persisted = readsPersistedContext(def) ? await readContext(this.deps.store.workflowContext, contextKeyOf(doc)) : {};
    let state = startRun(def, persisted);
    let steps = x.steps;
    if (doc.replay_from_step) {
      // A replay from a chosen step (only these read the original, once, here).
      const resumed = await this.resumePoint(doc, doc.replay_from_step, def, persisted);
      if ('error' in resumed) return (await this.finishWithError(x, resumed.error)) ?? this.reload(doc);
      state = resumed.state;
      steps = resumed.steps;
    }
    const begun: LiveExecution = {
      ...x,
      steps,
      doc: {
        ...doc,
        ...docChangesOf(state),
        ...(doc.replay_from_step ? { step_seq: steps.length } : {}),
        slot_wait: false,
        started_at: now,
        duration_due_at: new Date(now.getTime() + def.max_workflow_duration_seconds * 1000),
        updated_at: now,
        on_success_url: def.on_success_url ?? null,
        on_failure_url: def.on_failure_url ?? null,
        on_approval_required_url: def.on_approval_required_url ?? null,
      },
    };
    this.unwritten.add(begun);
    return begun;
  }

  /**
   * Where a replay from `fromStep` begins: the run state with the outputs the original (`replay_of`)
   * completed before its first attempt of `fromStep`, and those attempts as `carried_over` records
   * (sequence 1…n, the original's input, output and times). An error when the original is gone or
   * never reached the step (the ingress checked both; this is the executor's own guard).
   */
  private async resumePoint(
    doc: ExecutionDoc,
    fromStep: string,
    def: WorkflowDefinition,
    persisted: Readonly<Record<string, string>>,
  ): Promise<{ state: ReturnType<typeof startRun>; steps: StepExecutionDoc[] } | { error: ExecutionErrorInfo }> {
    const original = doc.replay_of ? await this.deps.live.get(doc.workspace_id, doc.replay_of) : null;
    if (!original) {
      return { error: { code: 'replay_source_not_found', message: `execution ${doc.replay_of ?? '?'} to replay from was not found` } };
    }
    const attempts = [...original.steps].sort((a, b) => a.seq - b.seq).map((s) => ({ ...s, stepId: s.step_id }));
    const chosen = carriedSteps(attempts, fromStep);
    if (!chosen.ok) {
      return { error: { code: 'replay_step_not_reached', message: `execution ${original.doc._id} never reached step "${fromStep}"` } };
    }
    const kept = chosen.carried.map(({ stepId: _stepId, ...s }) => s);
    try {
      const state = startRunAt(
        def,
        fromStep,
        kept.map((s) => ({ stepId: s.step_id, output: fromJsonText(s.output_json ?? 'null') })),
        persisted,
      );
      const steps = kept.map((s, i): StepExecutionDoc => ({
        ...s,
        _id: `${doc._id}:${i + 1}`,
        workspace_id: doc.workspace_id,
        execution_id: doc._id,
        seq: i + 1,
        status: 'carried_over',
        error: null,
      }));
      return { state, steps };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return { error: { code: err.code, message: err.message } };
    }
  }

  /**
   * The first write of a begun run landed. Counted there (a failure after it must not lose the
   * count on retry); a run still running arms its duration timer, which also announces `running`
   * (one that parks or ends first announces that instead, so a short run costs one event: its end).
   */
  private started(x: LiveExecution): void {
    this.deps.metrics.started.inc({ workspace_id: this.deps.metrics.workspaces.of(x.doc.workspace_id) });
    if (x.doc.status === 'running') this.armDurationTimer(x.doc, x.doc.duration_due_at ?? this.now());
  }

  /**
   * The duration timer is set once an execution has run for a while (DURATION_TIMER_AFTER_MS, or half
   * its limit if that is sooner), and its `running` event published then (both in one tick: the
   * event leaves before any later one of the same execution): most executions end before and never
   * cost a timer nor that event. If this executor dies before, the redelivered command sets the timer
   * (handleStart); a watcher reads the state fresh anyway.
   */
  private armDurationTimer(doc: ExecutionDoc, dueAt: Date): void {
    const afterMs = Math.min(DURATION_TIMER_AFTER_MS, Math.max(0, (dueAt.getTime() - this.now().getTime()) / 2));
    const timer = setTimeout(() => {
      if (this.timers.get(doc._id) !== timer) return;
      const warn = (what: string) => (err: unknown) =>
        this.deps.logger.warn({ err, execution_id: doc._id, workspace_id: doc.workspace_id }, what);
      this.deps.messaging.publishEvent(doc).catch(warn('could not publish the running event'));
      this.setDurationTimerNow(doc, dueAt).catch(warn('could not set the duration timer'));
    }, afterMs);
    timer.unref();
    this.timers.set(doc._id, timer);
  }

  private async setDurationTimerNow(doc: ExecutionDoc, dueAt: Date): Promise<void> {
    this.timers.set(doc._id, 'set');
    await setDurationTimer(this.deps.messaging, doc, dueAt);
  }

  /** Forgets an execution's duration timer here; false only if it was certainly never set. */
  private disarm(id: string): boolean {
    const timer = this.timers.get(id);
    this.timers.delete(id);
    if (timer === undefined || timer === 'set') return true;
    clearTimeout(timer);
    return false;
  }

  private async reload(at: ExecutionDoc): Promise<LiveExecution> {
    const x = await this.live.get(at.workspace_id, at._id);
    if (!x) throw new Error(`execution ${at._id} not found`);
    return x;
  }

  private async runSteps(
    start: LiveExecution,
    def: WorkflowDefinition,
    keepAlive: () => void,
    signal: AbortSignal,
  ): Promise<LiveExecution> {
    const trigger = JSON.parse(await triggerInputJsonOf(this.deps.store.payloads, start.doc)) as TriggerInput;
    let x = await this.markInterruptedAttempt(start);
    while (x.doc.status === 'running' && x.doc.cursor !== null) {
      keepAlive();
      const doc = x.doc;
      const state = runStateOf(doc);
      const seq = doc.step_seq + 1;
      const stepId = doc.cursor;
      if (stepId === null) break;
      const record: StepRecordBase = {
        _id: `${doc._id}:${seq}`,
        workspace_id: doc.workspace_id,
        execution_id: doc._id,
        seq,
        step_id: stepId,
        type: stepTypeOf(def, stepId) ?? 'unknown',
        attempt: doc.attempt,
        started_at: this.now(),
      };
      const attempt = await inSpan(
        `step ${stepId}`,
        { attributes: { 'flowgate.execution.id': doc._id, 'flowgate.step.id': stepId, 'flowgate.step.type': record.type } },
        () => this.attemptStep(x, def, trigger, record, signal),
      );
      if ('moved' in attempt) {
        x = attempt.moved;
        continue;
      }
      const { input, outcome } = attempt;
      const finishedAt = this.now();
      this.deps.metrics.stepDuration.observe(
        { type: record.type, outcome: outcome.ok ? 'succeeded' : 'failed' },
        (finishedAt.getTime() - record.started_at.getTime()) / 1000,
      );
      const steps = withStep(attempt.current.steps, {
        ...record,
        status: outcome.ok ? 'succeeded' : 'failed',
        input_json: toJsonText(input),
        output_json: outcome.ok ? toJsonText(outcome.output) : null,
        error: outcome.ok ? null : outcome.error,
        finished_at: finishedAt,
      });
      const transition = completeStep(def, state, outcome, {
        attempt: doc.attempt,
        random: Math.random(),
        maxSteps: this.deps.config.FLOWGATE_MAX_STEPS_PER_EXECUTION,
      });
      if (transition.kind !== 'retry' && transition.persist) {
        const owner = { workspaceId: doc.workspace_id, workflowId: contextKeyOf(doc) };
        await writeContext(this.deps.store.workflowContext, owner, transition.persist, finishedAt);
      }
      let next: LiveExecution | null;
      const current = attempt.current;
      if (transition.kind === 'retry') {
        next = await this.live.write(current, { ...current.doc, attempt: doc.attempt + 1, step_seq: seq, updated_at: this.now() }, steps);
        if (next) await this.sleep(transition.delayMs, keepAlive, signal);
      } else {
        const finished = transition.kind === 'finished';
        const changes = { ...docChangesOf(transition.state), attempt: 1, step_seq: seq, updated_at: this.now() };
        const nextDoc = { ...current.doc, ...changes, ...(finished ? { finished_at: finishedAt } : {}) };
        if (!finished && this.nextIsHttp(def, nextDoc.cursor)) {
          // The next step's in-flight record follows at once (planning it is pure): that write
          // carries this step's result too, one compare-and-set per http step instead of two. A
          // crash before it is a crash before this step's checkpoint, as without the merge.
          const carried: LiveExecution = { ...current, doc: { ...nextDoc, revision: current.doc.revision }, steps };
          if (this.unwritten.has(current)) this.unwritten.add(carried);
          x = carried;
          continue;
        }
        next = await this.live.write(current, nextDoc, steps);
        if (next && finished) this.countFinished(next.doc);
      }
      x = next ?? (await this.reload(doc));
    }
    return x;
  }

  private nextIsHttp(def: WorkflowDefinition, cursor: string | null): boolean {
    return cursor !== null && stepTypeOf(def, cursor) === 'http';
  }

  /**
   * One attempt of the step at the cursor: run it (`current` is the live state it ran from), or park
   * the execution on it, or find it changed by another writer (`moved`).
   */
  private async attemptStep(
    x: LiveExecution,
    def: WorkflowDefinition,
    trigger: TriggerInput,
    record: StepRecordBase,
    signal: AbortSignal,
  ): Promise<{ moved: LiveExecution } | { current: LiveExecution; input: unknown; outcome: StepOutcome }> {
    const stepId = record.step_id;
    let input: unknown = null;
    let outcome: StepOutcome;
    let current = x;
    try {
      const plan = planStep(def, runStateOf(x.doc), trigger, this.now());
      if (isParking(plan)) {
        const parked = await parkStep(
          { ...this.deps, live: this.live, publicUrl: this.deps.config.FLOWGATE_PUBLIC_URL, now: this.now },
          x,
          def,
          plan,
          record,
        );
        if (parked) {
          this.disarm(x.doc._id); // parked time does not count: parkStep cancelled the duration timer
          await this.deps.messaging.publishEvent(parked.doc);
        }
        return { moved: parked ?? (await this.reload(x.doc)) };
      }
      input = plan.type === 'http' ? plan.request : plan.type === 'respond' ? plan.response : null;
      if (plan.type === 'http') {
        // Visible while in flight: if the executor dies now, the next delivery marks it interrupted.
        const inFlight: StepExecutionDoc = {
          ...record,
          status: 'running',
          input_json: toJsonText(input),
          output_json: null,
          error: null,
          finished_at: null,
        };
        const marked = await this.live.write(x, { ...x.doc, updated_at: this.now() }, withStep(x.steps, inFlight));
        if (!marked) return { moved: await this.reload(x.doc) };
        current = marked;
        outcome = await runHttpStep(stepId, plan.request, {
          timeoutMs: plan.timeoutMs,
          maxResponseBytes: this.deps.config.FLOWGATE_HTTP_STEP_MAX_RESPONSE_BYTES,
          idempotencyKey: `${x.doc._id}:${stepId}`,
          signal,
          dispatcher: await this.deps.egress?.dispatcherFor(x.doc.workspace_id),
        });
      } else outcome = await runLocalStep(plan);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcome = { ok: false, error: { code: err.code, message: err.message, step_id: stepId }, retryable: false };
    }
    return { current, input, outcome };
  }

  /**
   * Resuming after a crash: an attempt recorded as running that never finished is marked
   * `interrupted`, and the step runs again under the next sequence number.
   */
  private async markInterruptedAttempt(x: LiveExecution): Promise<LiveExecution> {
    if (x.doc.status !== 'running') return x;
    const seq = x.doc.step_seq + 1;
    const inFlight = x.steps.find((s) => s.seq === seq);
    if (inFlight?.status !== 'running') return x;
    const now = this.now();
    const steps = withStep(x.steps, { ...inFlight, status: 'interrupted', finished_at: now });
    return (await this.live.write(x, { ...x.doc, step_seq: seq, updated_at: now }, steps)) ?? this.reload(x.doc);
  }

  private async sleep(ms: number, keepAlive: () => void, signal: AbortSignal): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !signal.aborted) {
      keepAlive();
      await new Promise((r) => setTimeout(r, Math.min(5_000, until - Date.now())));
    }
  }

  private async finishWithError(x: LiveExecution, error: { code: string; message: string }): Promise<LiveExecution | null> {
    if (isTerminal(x.doc.status)) return x;
    const now = this.now();
    const updated = await this.live.write(
      x,
      { ...x.doc, status: 'failed', cursor: null, error, finished_at: now, updated_at: now },
      x.steps,
    );
    if (updated) this.countFinished(updated.doc);
    return updated;
  }

  /**
   * Terminal bookkeeping, safe to repeat: cancel its timers and wait tokens, publish the final event,
   * hand its slot on. The end itself is durable in the live state; it reaches MongoDB by the group
   * commit the write started (which then retires the key), or — read back after a crash — by the
   * projection started here, or by the recovery sweep.
   */
  private async announceTerminal(x: LiveExecution): Promise<void> {
    const doc = x.doc;
    if (x.from === 'live' && !x.projected) {
      this.live
        .project(x)
        .catch((err: unknown) =>
          this.deps.logger.warn({ err, execution_id: doc._id, workspace_id: doc.workspace_id }, 'projection of an end failed'),
        );
    }
    // Its duration and wait timers, in one purge (a timer that fired meanwhile is ignored by handleTimer);
    // skipped for a short run that never set one.
    const mayHaveTimers = this.disarm(doc._id) || x.steps.some((s) => PARKING_TYPES.has(s.type));
    if (mayHaveTimers) await this.deps.messaging.cancelExecutionTimers(doc.workspace_id, doc._id);
    if (doc.wait_token_hash !== undefined && doc.wait_token_hash !== null) {
      await deleteWaitTokensOf(this.deps.store.waitTokens, doc._id);
    }
    await this.deps.messaging.publishEvent(doc);
    const def = await this.deps.definitions.get(doc.workflow_id, doc.workflow_version, doc.draft_id);
    if (def) {
      // Every place it held or waited for is given on (the last first: the reverse of taking them).
      const gates = slotGatesOf(def, doc.concurrency_keys ?? (await this.concurrencyKeysOf(doc, def)));
      for (const gate of gates.reverse())
        await this.startPromoted(doc, await this.deps.slots.leave(doc.workspace_id, doc.workflow_id, gate, doc._id), gate);
    }
  }

  /** The key values of its keyed concurrency limits: as recorded at accept, else taken from its trigger input. */
  private async concurrencyKeysOf(doc: ExecutionDoc, def: WorkflowDefinition): Promise<string[]> {
    if (!def.concurrency) return [];
    if (doc.concurrency_keys) return doc.concurrency_keys;
    const trigger = JSON.parse(await triggerInputJsonOf(this.deps.store.payloads, doc)) as TriggerInput;
    return concurrencyKeysOf(def.concurrency, trigger);
  }

  /**
   * Sends the start command again (message id `<id>:promoted`) to executions that just got a slot.
   * One that ended while it waited (a cancel) gives its slot on at once.
   */
  private async startPromoted(of: Pick<ExecutionDoc, 'workspace_id' | 'workflow_id'>, ids: string[], gate: SlotGate): Promise<void> {
    const todo = [...ids];
    for (let id = todo.shift(); id !== undefined; id = todo.shift()) {
      const x = await this.live.get(of.workspace_id, id);
      if (!x || x.doc.status !== 'queued') {
        todo.push(...(await this.deps.slots.leave(of.workspace_id, of.workflow_id, gate, id)));
        continue;
      }
      await this.sendStart(x.doc, `${id}:promoted`);
    }
  }

  private async sendStart(doc: ExecutionDoc, msgId: string): Promise<void> {
    await this.deps.messaging.sendStart(startCommandOf(doc), msgId);
  }

  /**
   * Periodic safety net for crashes around the slot queues: an execution that ended without giving
   * its slot (or place) back gives it now; one that got a slot but whose start command was lost
   * (still queued long after) is sent its start again.
   */
  async promoteAll(staleMs = 30_000): Promise<void> {
    const queues = await this.deps.slots.all();
    const waitingIn = new Map(queues.map((q) => [`${q.workspaceId}.${q.workflowId}.${q.gate}`, q.queue.waiting]));
    for (const { workspaceId, workflowId, gate: name, queue } of queues) {
      const members = await Promise.all(
        [...queue.running, ...queue.waiting].map(async (id) => {
          const x = await this.live.get(workspaceId, id);
          return { id, x, def: x ? await this.deps.definitions.get(x.doc.workflow_id, x.doc.workflow_version, x.doc.draft_id) : null };
        }),
      );
      // The queue's places, from the definition of an execution still in it (1 when none is left to say).
      const gate = members.map((m) => (m.def ? gateOfQueue(m.def, name) : null)).find((g) => g !== null) ?? { queue: name, max: 1 };
      for (const { id, x, def } of members) {
        if (!x || isTerminal(x.doc.status)) {
          const of = { workspace_id: workspaceId, workflow_id: workflowId };
          await this.startPromoted(of, await this.deps.slots.leave(workspaceId, workflowId, gate, id), gate);
          continue;
        }
        const stale = x.doc.status === 'queued' && this.now().getTime() - x.doc.updated_at.getTime() > staleMs;
        if (!stale || !queue.running.includes(id)) continue;
        // Holding this place while it waits in a later queue of its own is no lost promotion.
        const later = def ? slotGatesOf(def, x.doc.concurrency_keys ?? []).slice(gatesIndex(def, x.doc, name) + 1) : [];
        if (later.some((g) => waitingIn.get(`${workspaceId}.${workflowId}.${g.queue}`)?.includes(id))) continue;
        await this.sendStart(x.doc, `${id}:promoted:${x.doc.updated_at.getTime()}`);
      }
    }
  }

  /** Called once per execution, by whoever made the write that ended it. */
  private countFinished(doc: ExecutionDoc): ExecutionDoc {
    this.deps.metrics.finished.inc({ workspace_id: this.deps.metrics.workspaces.of(doc.workspace_id), status: doc.status });
    this.deps.logger.info(
      { execution_id: doc._id, workspace_id: doc.workspace_id, workflow_id: doc.workflow_id, status: doc.status, error: doc.error },
      'execution finished',
    );
    return doc;
  }
}

/** Where a queue stands among an execution's gates (-1: not one of them). */
function gatesIndex(def: WorkflowDefinition, doc: ExecutionDoc, queue: string): number {
  return slotGatesOf(def, doc.concurrency_keys ?? []).findIndex((g) => g.queue === queue);
}
