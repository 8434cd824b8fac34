import type { ParkingPlan, WorkflowDefinition } from '@flowgate/core';
import { randomToken, sha256Hex } from '@flowgate/kit';
import {
  createWaitToken,
  findTimer,
  toJsonText,
  type Collections,
  type ExecutionDoc,
  type LiveExecution,
  type StepExecutionDoc,
} from '@flowgate/store';
import type { LiveState, Timers } from './seams';
import { withStep } from './step-records';

/**
 * Parking steps (delay, wait_for_webhook, approval): the executor writes what resumes the step — a
 * timer for the delay or the expiry, a wait token behind the public URLs — then parks the execution
 * (`waiting`) and lets go of it. Time parked does not count toward max_workflow_duration_seconds:
 * the duration timer is paused here and set again on resume.
 */

export const DURATION_TIMER = (executionId: string) => `${executionId}:duration`;
export const WAIT_TIMER = (executionId: string, seq: number) => `${executionId}:wait:${seq}`;

export type WaitingReason = NonNullable<ExecutionDoc['waiting_reason']>;

const REASON: Record<ParkingPlan['type'], WaitingReason> = { delay: 'delay', wait_for_webhook: 'webhook', approval: 'approval' };

/** The public URLs of a wait (and the approval's message): what `waiting_payload` shows. */
export function waitPayload(plan: ParkingPlan, publicUrl: string, token: string | null, expiresAt: Date): Record<string, string> {
  switch (plan.type) {
    case 'delay':
      return { resume_at: expiresAt.toISOString() };
    case 'wait_for_webhook':
      return { resume_url: `${publicUrl}/resume/${token}` };
    case 'approval': {
      const review = `${publicUrl}/approvals/${token}`;
      const urls = { review_url: review, approve_url: `${review}/approve`, reject_url: `${review}/reject` };
      return plan.message === null ? urls : { ...urls, message: plan.message };
    }
  }
}

export interface ParkDeps {
  /** Where timers live: JetStream message schedules in the commands stream (ADR 0013). */
  messaging: Timers;
  store: Collections;
  live: LiveState;
  publicUrl: string;
  now: () => Date;
}

/** Returns the parked execution (durable in MongoDB too), or null if a concurrent write (a cancel) got there first. */
export async function parkStep(
  deps: ParkDeps,
  x: LiveExecution,
  def: WorkflowDefinition,
  plan: ParkingPlan,
  record: Omit<StepExecutionDoc, 'status' | 'input_json' | 'output_json' | 'error' | 'finished_at'>,
): Promise<LiveExecution | null> {
  const { store } = deps;
  const doc = x.doc;
  const now = deps.now();
  const seq = record.seq;
  const dueAt = plan.type === 'delay' ? plan.resumeAt : plan.expiresAt;
  const token = plan.type === 'delay' ? null : randomToken('wt_', 32);
  const tokenHash = token === null ? null : sha256Hex(token);
  if (token !== null && tokenHash !== null && plan.type !== 'delay') {
    await createWaitToken(store.waitTokens, {
      _id: tokenHash,
      workspace_id: doc.workspace_id,
      execution_id: doc._id,
      kind: plan.type === 'approval' ? 'approval' : 'webhook',
      step_id: plan.stepId,
      expires_at: dueAt,
      created_at: now,
    });
  }
  await deps.messaging.scheduleTimer({
    type: 'timer',
    timer_id: WAIT_TIMER(doc._id, seq),
    kind: plan.type === 'delay' ? 'delay' : 'wait_expiry',
    workspace_id: doc.workspace_id,
    execution_id: doc._id,
    due_at: dueAt.toISOString(),
  });
  const payload = waitPayload(plan, deps.publicUrl, token, dueAt);
  const waiting: StepExecutionDoc = {
    ...record,
    status: 'waiting',
    input_json: toJsonText(plan.type === 'delay' ? { resume_at: dueAt.toISOString() } : { expires_at: dueAt.toISOString() }),
    output_json: null,
    error: null,
    finished_at: null,
  };
  // What is left of the duration limit: its due time (set with the timer), else (an execution from
  // before due times were recorded) the old timer document, else the whole limit.
  const dueMs = doc.duration_due_at?.getTime() ?? (await findTimer(store.timers, DURATION_TIMER(doc._id)))?.due_at.getTime();
  const left =
    dueMs !== undefined ? Math.max(0, dueMs - now.getTime()) : (doc.duration_left_ms ?? def.max_workflow_duration_seconds * 1000);
  const changes: Partial<ExecutionDoc> = {
    status: 'waiting',
    waiting_reason: REASON[plan.type],
    waiting_payload: payload,
    waiting_expires_at: dueAt,
    wait_token_hash: tokenHash,
    duration_left_ms: left,
    duration_due_at: null,
    updated_at: now,
  };
  // Durable: the ingress answers approval pages and lists from MongoDB once the execution waits.
  const parked = await deps.live.write(x, { ...doc, ...changes }, withStep(x.steps, waiting), { durable: true });
  if (parked) await deps.messaging.cancelTimer(doc.workspace_id, DURATION_TIMER(doc._id));
  return parked;
}

/**
 * Sets the duration timer (a message schedule; setting it again replaces it): at start for the
 * whole limit, on resume for what was left when it parked. Its due time is kept on the execution
 * (`duration_due_at`, written first) so a park knows what is left without a read.
 */
export async function setDurationTimer(timers: Timers, doc: ExecutionDoc, dueAt: Date): Promise<void> {
  await timers.scheduleTimer({
    type: 'timer',
    timer_id: DURATION_TIMER(doc._id),
    kind: 'duration_timeout',
    workspace_id: doc.workspace_id,
    execution_id: doc._id,
    due_at: dueAt.toISOString(),
  });
}

/** The waiting fields cleared when a parked step resumes. */
export const UNPARKED = {
  waiting_reason: null,
  waiting_payload: null,
  waiting_expires_at: null,
  wait_token_hash: null,
  duration_left_ms: null,
} as const;
