import {
  completeStep,
  DomainError,
  endRun,
  isTerminal,
  planStep,
  runLocalStep,
  startRun,
  type ExecutionErrorInfo,
  type StepOutcome,
  type TriggerInput,
  type WorkflowDefinition,
} from '@flowgate/core';
import type { StartCommand, Subjects, TimerCommand } from '@flowgate/contracts';
import type { JetStreamClient, Logger, MessageDisposition } from '@flowgate/kit';
import {
  fromJsonText,
  insertIfAbsent,
  readContext,
  writeContext,
  recordExecution,
  toJsonText,
  updateExecution,
  type Collections,
  type ExecutionDoc,
  type StepExecutionDoc,
  type TimerDoc,
} from '@flowgate/store';
import type { ExecutionConfig } from './config';
import type { DefinitionCache } from './definitions';
import { publishExecutionEvent } from './events';
import { runHttpStep } from './http-step';
import type { ExecutionMetrics } from './metrics';
import { docChangesOf, runStateOf } from './run-state';

/**
 * Drives executions: applies the core state machine step by step, checkpointing every step to
 * MongoDB before moving on. A redelivered command resumes from the stored cursor, so completed
 * steps never run again; the interrupted step runs again with the same idempotency key.
 */
export interface RunnerDeps {
  store: Collections;
  js: JetStreamClient;
  subjects: Subjects;
  definitions: DefinitionCache;
  config: ExecutionConfig;
  metrics: ExecutionMetrics;
  logger: Logger;
  now?: () => Date;
}

const DURATION_TIMER = (executionId: string) => `${executionId}:duration`;

export class Runner {
  private readonly now: () => Date;
  /** Aborts in-flight steps of executions ended by a timer or cancel handled on this replica. */
  private readonly aborts = new Map<string, AbortController>();

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async handleStart(cmd: StartCommand, keepAlive: () => void): Promise<MessageDisposition> {
    const { store } = this.deps;
    await recordExecution(store.executions, {
      _id: cmd.execution_id,
      workspace_id: cmd.workspace_id,
      workflow_id: cmd.workflow_id,
      workflow_version: cmd.workflow_version,
      trigger_input_json: toJsonText(cmd.trigger_input),
      on_success_url: null,
      on_failure_url: null,
      replay_of: cmd.replay_of,
      created_at: new Date(cmd.accepted_at),
    });
    let doc = await store.executions.findOne({ _id: cmd.execution_id });
    if (!doc) throw new Error(`execution ${cmd.execution_id} vanished after upsert`);
    const def = await this.deps.definitions.get(doc.workflow_id, doc.workflow_version);
    if (!def) {
      doc = await this.finishWithError(doc, {
        code: 'workflow_not_found',
        message: `workflow ${doc.workflow_id} v${doc.workflow_version} not found`,
      });
      if (doc) await publishExecutionEvent(this.deps.js, this.deps.subjects, doc);
      return { term: 'unknown_workflow' };
    }
    if (doc.status === 'queued') doc = await this.begin(doc, def);
    const abort = new AbortController();
    this.aborts.set(doc._id, abort);
    try {
      doc = await this.runSteps(doc, def, keepAlive, abort.signal);
    } finally {
      this.aborts.delete(doc._id);
    }
    if (isTerminal(doc.status)) await this.announceTerminal(doc);
    return 'ack';
  }

  async handleTimer(cmd: TimerCommand): Promise<MessageDisposition> {
    const doc = await this.deps.store.executions.findOne({ _id: cmd.execution_id });
    if (!doc) return { term: 'unknown_execution' };
    const def = await this.deps.definitions.get(doc.workflow_id, doc.workflow_version);
    await this.endExecution(doc._id, 'timed_out', {
      code: 'workflow_timed_out',
      message: `execution exceeded max_workflow_duration_seconds (${def?.max_workflow_duration_seconds ?? '?'})`,
    });
    return 'ack';
  }

  /**
   * Ends a queued, running or waiting execution from outside (duration limit, cancel): a guarded
   * write, then the in-flight step on this replica is aborted (a runner elsewhere sees its next
   * write refused) and the terminal event is published. Returns null if it had already ended.
   */
  async endExecution(id: string, status: 'timed_out' | 'cancelled', error: ExecutionErrorInfo): Promise<ExecutionDoc | null> {
    for (let i = 0; i < 10; i++) {
      const doc = await this.deps.store.executions.findOne({ _id: id });
      const ended = doc ? endRun(runStateOf(doc), status, error) : null;
      if (!doc || !ended) return null;
      const updated = await updateExecution(
        this.deps.store.executions,
        id,
        doc.revision,
        { ...docChangesOf(ended), finished_at: this.now() },
        this.now(),
      );
      if (updated) {
        this.countFinished(updated);
        this.aborts.get(id)?.abort(new DomainError(error.code, error.message));
        await this.announceTerminal(updated);
        return updated;
      }
    }
    throw new Error(`could not end execution ${id}: too many concurrent changes`);
  }

  private async begin(doc: ExecutionDoc, def: WorkflowDefinition): Promise<ExecutionDoc> {
    const now = this.now();
    const state = startRun(def, await readContext(this.deps.store.workflowContext, doc.workflow_id));
    const updated = await updateExecution(
      this.deps.store.executions,
      doc._id,
      doc.revision,
      {
        ...docChangesOf(state),
        started_at: now,
        on_success_url: def.on_success_url ?? null,
        on_failure_url: def.on_failure_url ?? null,
      },
      now,
    );
    if (!updated) return this.reload(doc._id);
    await insertIfAbsent<TimerDoc>(this.deps.store.timers, {
      _id: DURATION_TIMER(doc._id),
      workspace_id: doc.workspace_id,
      execution_id: doc._id,
      kind: 'duration_timeout',
      due_at: new Date(now.getTime() + def.max_workflow_duration_seconds * 1000),
      status: 'pending',
      created_at: now,
    });
    this.deps.metrics.started.inc({ workflow_id: doc.workflow_id });
    await publishExecutionEvent(this.deps.js, this.deps.subjects, updated);
    return updated;
  }

  private async reload(id: string): Promise<ExecutionDoc> {
    const doc = await this.deps.store.executions.findOne({ _id: id });
    if (!doc) throw new Error(`execution ${id} not found`);
    return doc;
  }

  private async runSteps(start: ExecutionDoc, def: WorkflowDefinition, keepAlive: () => void, signal: AbortSignal): Promise<ExecutionDoc> {
    const trigger = fromJsonText(start.trigger_input_json) as TriggerInput;
    let doc = await this.markInterruptedAttempt(start);
    while (doc.status === 'running' && doc.cursor !== null) {
      keepAlive();
      const state = runStateOf(doc);
      const seq = doc.step_seq + 1;
      const stepId = doc.cursor;
      const record = {
        _id: `${doc._id}:${seq}`,
        workspace_id: doc.workspace_id,
        execution_id: doc._id,
        seq,
        step_id: stepId,
        type: def.steps.find((s) => s.id === stepId)?.type ?? 'unknown',
        attempt: doc.attempt,
        started_at: this.now(),
      };
      let input: unknown = null;
      let outcome: StepOutcome;
      try {
        const plan = planStep(def, state, trigger);
        input = plan.type === 'http' ? plan.request : plan.type === 'respond' ? plan.response : null;
        if (plan.type === 'http') {
          // Visible while in flight: if the executor dies now, the next delivery marks it interrupted.
          await this.saveStepRecord({
            ...record,
            status: 'running',
            input_json: toJsonText(input),
            output_json: null,
            error: null,
            finished_at: null,
          });
          outcome = await runHttpStep(stepId, plan.request, {
            timeoutMs: plan.timeoutMs,
            maxResponseBytes: this.deps.config.FLOWGATE_HTTP_STEP_MAX_RESPONSE_BYTES,
            idempotencyKey: `${doc._id}:${stepId}`,
            signal,
          });
        } else outcome = await runLocalStep(plan);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        outcome = { ok: false, error: { code: err.code, message: err.message, step_id: stepId }, retryable: false };
      }
      const finishedAt = this.now();
      this.deps.metrics.stepDuration.observe(
        { type: record.type, outcome: outcome.ok ? 'succeeded' : 'failed' },
        (finishedAt.getTime() - record.started_at.getTime()) / 1000,
      );
      await this.saveStepRecord({
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
        const owner = { workspaceId: doc.workspace_id, workflowId: doc.workflow_id };
        await writeContext(this.deps.store.workflowContext, owner, transition.persist, finishedAt);
      }
      let next: ExecutionDoc | null;
      if (transition.kind === 'retry') {
        next = await updateExecution(
          this.deps.store.executions,
          doc._id,
          doc.revision,
          { attempt: doc.attempt + 1, step_seq: seq },
          this.now(),
        );
        if (next) await this.sleep(transition.delayMs, keepAlive, signal);
      } else {
        const changes = { ...docChangesOf(transition.state), attempt: 1, step_seq: seq };
        next = await updateExecution(
          this.deps.store.executions,
          doc._id,
          doc.revision,
          transition.kind === 'finished' ? { ...changes, finished_at: finishedAt } : changes,
          this.now(),
        );
        if (next && transition.kind === 'finished') this.countFinished(next);
      }
      doc = next ?? (await this.reload(doc._id));
    }
    return doc;
  }

  /**
   * Resuming after a crash: an attempt recorded as running that never finished is marked
   * `interrupted`, and the step runs again under the next sequence number.
   */
  private async markInterruptedAttempt(doc: ExecutionDoc): Promise<ExecutionDoc> {
    if (doc.status !== 'running') return doc;
    const seq = doc.step_seq + 1;
    const res = await this.deps.store.stepExecutions.updateOne(
      { _id: `${doc._id}:${seq}`, status: 'running' },
      { $set: { status: 'interrupted', finished_at: this.now() } },
    );
    if (res.modifiedCount === 0) return doc;
    return (
      (await updateExecution(this.deps.store.executions, doc._id, doc.revision, { step_seq: seq }, this.now())) ?? this.reload(doc._id)
    );
  }

  private async saveStepRecord(record: StepExecutionDoc): Promise<void> {
    await this.deps.store.stepExecutions.replaceOne({ _id: record._id }, record, { upsert: true });
  }

  private async sleep(ms: number, keepAlive: () => void, signal: AbortSignal): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !signal.aborted) {
      keepAlive();
      await new Promise((r) => setTimeout(r, Math.min(5_000, until - Date.now())));
    }
  }

  private async finishWithError(doc: ExecutionDoc, error: { code: string; message: string }): Promise<ExecutionDoc | null> {
    if (isTerminal(doc.status)) return doc;
    const updated = await updateExecution(
      this.deps.store.executions,
      doc._id,
      doc.revision,
      { status: 'failed', cursor: null, error, finished_at: this.now() },
      this.now(),
    );
    return updated && this.countFinished(updated);
  }

  /** Terminal bookkeeping, safe to repeat: cancel the duration timer, publish the final event. */
  private async announceTerminal(doc: ExecutionDoc): Promise<void> {
    await this.deps.store.timers.deleteOne({ _id: DURATION_TIMER(doc._id) });
    await publishExecutionEvent(this.deps.js, this.deps.subjects, doc);
  }

  /** Called once per execution, by whoever made the write that ended it. */
  private countFinished(doc: ExecutionDoc): ExecutionDoc {
    this.deps.metrics.finished.inc({ workflow_id: doc.workflow_id, status: doc.status });
    this.deps.logger.info({ execution_id: doc._id, status: doc.status, error: doc.error }, 'execution finished');
    return doc;
  }
}
