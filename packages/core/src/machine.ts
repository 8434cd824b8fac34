import { JSONPath } from 'jsonpath-plus';
import type { HttpStep, ParkingStepType, Step, WorkflowDefinition } from './definition';
import { findStep } from './definition';
import { DomainError } from './errors';
import type { ExecutionErrorInfo, ExecutionStatus, SyncResponse, TriggerInput } from './execution';
import { isTerminal } from './execution';
import { evaluateCondition, evaluateExpression, type ExpressionLimits } from './expression';
import { isPlainObject } from './json';
import { renderForStep, renderTemplate, type TemplateScope } from './template';

/**
 * The step state machine. Pure: it takes the definition, the run state and step outcomes and
 * returns the next state and what to do; the execution service performs the effects (HTTP calls,
 * persistence, timers) and feeds the outcomes back.
 */

export interface RunState {
  status: ExecutionStatus;
  /** Id of the next step to run; null once finished. */
  cursor: string | null;
  /** Output of each completed step (the latest run of it, for loops). */
  outputs: Record<string, unknown>;
  /** Completed step ids in the order they ran. */
  order: string[];
  /** Values written by `extract`, visible as `context.*`. */
  context: Record<string, unknown>;
  /** Set by the first `respond` step the run reaches: the synchronous answer. */
  response: SyncResponse | null;
  finalOutput: unknown;
  error: ExecutionErrorInfo | null;
}

export const DEFAULT_MAX_STEPS_PER_EXECUTION = 1000;

/** `persisted`: the workflow's stored context (from `extract_to_context` and the context API). */
export function startRun(def: WorkflowDefinition, persisted: Readonly<Record<string, string>> = {}): RunState {
  const first = def.steps[0];
  if (!first) throw new DomainError('invalid_workflow_definition', 'workflow has no steps');
  return {
    status: 'running',
    cursor: first.id,
    outputs: {},
    order: [],
    context: { ...persisted },
    response: null,
    finalOutput: null,
    error: null,
  };
}

/** A step the original execution completed before a replay's resume point, with its output. */
export interface CarriedStep {
  stepId: string;
  output: unknown;
}

/** A step attempt of an earlier execution as a replay reads it (in sequence order). */
export interface EarlierAttempt {
  stepId: string;
  status: string;
}

/**
 * What a replay from `fromStep` keeps of the original: the steps that succeeded before the
 * original's first attempt of `fromStep`, in the order they ran. `not_reached` when the original
 * never attempted `fromStep` (the outputs it would read are missing).
 */
export function carriedSteps<A extends EarlierAttempt>(
  attempts: readonly A[],
  fromStep: string,
): { ok: true; carried: A[] } | { ok: false; reason: 'not_reached' } {
  const first = attempts.findIndex((a) => a.stepId === fromStep);
  if (first === -1) return { ok: false, reason: 'not_reached' };
  return { ok: true, carried: attempts.slice(0, first).filter((a) => a.status === 'succeeded') };
}

/**
 * A run that begins at `fromStep` (a replay from a chosen step) with the outputs of `carried` in
 * place, as if those steps had just run: `steps.<id>.output` resolves, and their `extract` /
 * `extract_to_context` values are in `context` again (not persisted again). Throws `unknown_step`
 * for a step (resume point or carried) that is not in the workflow.
 */
export function startRunAt(
  def: WorkflowDefinition,
  fromStep: string,
  carried: readonly CarriedStep[],
  persisted: Readonly<Record<string, string>> = {},
): RunState {
  const state = startRun(def, persisted);
  if (!findStep(def, fromStep)) throw new DomainError('unknown_step', `step "${fromStep}" is not in the workflow`);
  const outputs: Record<string, unknown> = {};
  const order: string[] = [];
  let context = state.context;
  let response = state.response;
  for (const { stepId, output } of carried) {
    const step = findStep(def, stepId);
    if (!step) throw new DomainError('unknown_step', `step "${stepId}" is not in the workflow`);
    outputs[stepId] = output;
    order.push(stepId);
    if (step.type === 'http') {
      const persist = step.extract_to_context ? contextText(extractValues(step.extract_to_context, output)) : {};
      context = { ...context, ...extractValues(step.extract, output), ...persist };
    }
    if (step.type === 'respond') response = output as SyncResponse;
  }
  return { ...state, cursor: fromStep, outputs, order, context, response };
}

/**
 * Whether a run of `def` can read the persisted context, so the executor may skip loading it.
 * Conservative: any step text that names `context`, and any JSONata expression that can reach the
 * whole scope — a root reference (`$`, `$$` not followed by a name) or a wildcard (`*`, `**`).
 */
export function readsPersistedContext(def: WorkflowDefinition): boolean {
  if (JSON.stringify(def.steps).includes('context')) return true;
  const rootOrWildcard = /\$(?![A-Za-z0-9_])|\*/;
  return def.steps.some(
    (step) =>
      (step.type === 'transform' && rootOrWildcard.test(step.expression)) || (step.type === 'branch' && rootOrWildcard.test(step.when)),
  );
}

export function templateScope(trigger: TriggerInput, state: RunState): TemplateScope {
  const steps: Record<string, { output: unknown }> = {};
  for (const [id, output] of Object.entries(state.outputs)) steps[id] = { output };
  return { trigger, context: state.context, steps };
}

export interface HttpRequestPlan {
  method: HttpStep['request']['method'];
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  bodyFormat?: 'json' | 'form' | 'text';
}

/** A step ready to run: templates rendered. Only `http` needs the outside world. */
export type StepPlan =
  | { type: 'http'; stepId: string; request: HttpRequestPlan; timeoutMs: number; maxAttempts: number }
  | { type: 'transform'; stepId: string; expression: string; input: TemplateScope }
  | { type: 'branch'; stepId: string; when: string; input: TemplateScope; then: string; else: string | null }
  | { type: 'respond'; stepId: string; response: SyncResponse }
  | { type: 'fail'; stepId: string; message: string }
  | { type: 'delay'; stepId: string; resumeAt: Date }
  | { type: 'wait_for_webhook'; stepId: string; expiresAt: Date }
  | { type: 'approval'; stepId: string; expiresAt: Date; message: string | null };

/** Steps that park the execution (status `waiting`) until a timer or a public URL resumes it. */
export type ParkingPlan = Extract<StepPlan, { type: ParkingStepType }>;
export type LocalPlan = Exclude<StepPlan, { type: 'http' } | ParkingPlan>;

export function isParking(plan: StepPlan): plan is ParkingPlan {
  return plan.type === 'delay' || plan.type === 'wait_for_webhook' || plan.type === 'approval';
}

export type StepOutcome =
  { ok: true; output: unknown; next?: string | null } | { ok: false; error: ExecutionErrorInfo; retryable: boolean; retryAfterMs?: number };

function stringMap(value: unknown, what: string, stepId: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new DomainError('invalid_step_input', `step "${stepId}": ${what} must be an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function currentStep(def: WorkflowDefinition, state: RunState): Step {
  if (state.cursor === null) throw new DomainError('execution_finished', 'execution has no next step');
  const step = findStep(def, state.cursor);
  if (!step) throw new DomainError('unknown_step', `step "${state.cursor}" is not in the workflow`);
  return step;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Renders the current step's templates. Throws TemplateError (with step id and path). `now` dates
 * the parking steps (delay, wait and approval expiry).
 */
export function planStep(def: WorkflowDefinition, state: RunState, trigger: TriggerInput, now: Date): StepPlan {
  const step = currentStep(def, state);
  const scope = templateScope(trigger, state);
  return renderForStep(step.id, (): StepPlan => {
    switch (step.type) {
      case 'http': {
        const r = step.request;
        const url = renderTemplate(r.url, scope);
        return {
          type: 'http',
          stepId: step.id,
          request: {
            method: r.method,
            url: typeof url === 'string' ? url : JSON.stringify(url),
            headers: stringMap(renderTemplate(r.headers, scope), 'headers', step.id),
            query: stringMap(renderTemplate(r.query, scope), 'query', step.id),
            body: renderTemplate(r.body, scope),
            ...(r.body_format ? { bodyFormat: r.body_format } : {}),
          },
          timeoutMs: step.timeout_s * 1000,
          maxAttempts: step.retry?.max_attempts ?? 1,
        };
      }
      case 'transform':
        return { type: 'transform', stepId: step.id, expression: step.expression, input: scope };
      case 'branch':
        return { type: 'branch', stepId: step.id, when: step.when, input: scope, then: step.then, else: step.else ?? null };
      case 'respond':
        return {
          type: 'respond',
          stepId: step.id,
          response: {
            status: step.status,
            headers: stringMap(renderTemplate(step.headers, scope), 'headers', step.id),
            body: renderTemplate(step.body ?? null, scope),
          },
        };
      case 'fail':
        return { type: 'fail', stepId: step.id, message: asText(renderTemplate(step.message, scope)) };
      case 'delay': {
        if (step.duration_s !== undefined)
          return { type: 'delay', stepId: step.id, resumeAt: new Date(now.getTime() + step.duration_s * 1000) };
        const until = asText(renderTemplate(step.until, scope));
        const at = Date.parse(until);
        if (Number.isNaN(at))
          throw new DomainError('invalid_step_input', `step "${step.id}": until "${until}" is not an ISO 8601 date-time`);
        return { type: 'delay', stepId: step.id, resumeAt: new Date(Math.max(at, now.getTime())) };
      }
      case 'wait_for_webhook':
        return { type: 'wait_for_webhook', stepId: step.id, expiresAt: new Date(now.getTime() + step.expires_in_s * 1000) };
      case 'approval':
        return {
          type: 'approval',
          stepId: step.id,
          expiresAt: new Date(now.getTime() + step.expires_in_s * 1000),
          message: step.message === undefined ? null : asText(renderTemplate(step.message, scope)),
        };
    }
  });
}

function errorInfo(err: unknown, stepId: string): ExecutionErrorInfo {
  if (err instanceof DomainError) return { code: err.code, message: err.message, step_id: stepId };
  return { code: 'step_failed', message: err instanceof Error ? err.message : String(err), step_id: stepId };
}

/** Runs a step that needs no I/O and does not park. */
export async function runLocalStep(plan: LocalPlan, limits?: ExpressionLimits): Promise<StepOutcome> {
  try {
    switch (plan.type) {
      case 'transform':
        return { ok: true, output: await evaluateExpression(plan.expression, plan.input, limits) };
      case 'branch': {
        // Not taken and no `else`: go on as any step would (its `next`, else the following step).
        const taken = await evaluateCondition(plan.when, plan.input, limits);
        const next = taken ? plan.then : plan.else;
        return next === null ? { ok: true, output: { condition: taken } } : { ok: true, output: { condition: taken, next }, next };
      }
      case 'respond':
        return { ok: true, output: plan.response };
      case 'fail':
        return { ok: false, error: { code: 'workflow_failed', message: plan.message, step_id: plan.stepId }, retryable: false };
    }
  } catch (err) {
    return { ok: false, error: errorInfo(err, plan.stepId), retryable: false };
  }
}

/** What resumes a parked step. */
export type WaitEvent =
  | { kind: 'delay_elapsed'; at: Date }
  | { kind: 'webhook'; body: unknown; at: Date }
  | { kind: 'approval'; decision: 'approved' | 'rejected'; comment: string | null; at: Date }
  | { kind: 'expired'; at: Date };

const EVENT_FOR: Record<ParkingStepType, WaitEvent['kind'][]> = {
  delay: ['delay_elapsed'],
  wait_for_webhook: ['webhook', 'expired'],
  approval: ['approval', 'expired'],
};

/**
 * The outcome of a parked step once something resumes it: a delay ends, the second webhook's body
 * becomes the output, an approval decides; an expiry fails the step unless `on_timeout` names the
 * step to go on with, a rejection fails it unless `on_reject` does. Throws `wait_mismatch` for an
 * event the current step does not take.
 */
export function resolveWait(def: WorkflowDefinition, state: RunState, event: WaitEvent): StepOutcome {
  const step = currentStep(def, state);
  if (state.status !== 'waiting' || !(step.type in EVENT_FOR) || !EVENT_FOR[step.type as ParkingStepType].includes(event.kind))
    throw new DomainError('wait_mismatch', `step "${step.id}" (${step.type}) does not take a ${event.kind} event`);
  const at = event.at.toISOString();
  switch (event.kind) {
    case 'delay_elapsed':
      return { ok: true, output: { resumed_at: at } };
    case 'webhook':
      return { ok: true, output: event.body ?? null };
    case 'approval': {
      const output = { decision: event.decision, comment: event.comment, decided_at: at };
      if (event.decision === 'approved') return { ok: true, output };
      const onReject = step.type === 'approval' ? step.on_reject : undefined;
      if (onReject) return { ok: true, output, next: onReject };
      const why = event.comment ? `: ${event.comment}` : '';
      return {
        ok: false,
        error: { code: 'approval_rejected', message: `step "${step.id}" was rejected${why}`, step_id: step.id },
        retryable: false,
      };
    }
    case 'expired': {
      const onTimeout = step.type === 'wait_for_webhook' || step.type === 'approval' ? step.on_timeout : undefined;
      if (onTimeout) return { ok: true, output: { expired: true, expired_at: at }, next: onTimeout };
      return {
        ok: false,
        error: { code: 'wait_expired', message: `step "${step.id}" expired at ${at}`, step_id: step.id },
        retryable: false,
      };
    }
  }
}

export type Transition =
  | { kind: 'retry'; delayMs: number; error: ExecutionErrorInfo }
  | { kind: 'continue'; state: RunState; persist?: Record<string, string> }
  | { kind: 'finished'; state: RunState; persist?: Record<string, string> };

export interface CompleteOptions {
  /** 1-based attempt number of the outcome. */
  attempt: number;
  /** Random number in [0, 1) for backoff jitter (injected to keep this pure). */
  random: number;
  maxSteps?: number;
}

/** Exponential backoff with full jitter in [base/2, base]: base = backoff_s * 2^(attempt-1). */
export function retryDelayMs(backoffSeconds: number, attempt: number, random: number, retryAfterMs?: number): number {
  const base = backoffSeconds * 1000 * 2 ** (attempt - 1);
  const jittered = Math.round(base / 2 + (base / 2) * random);
  return Math.max(jittered, retryAfterMs ?? 0);
}

function extractValues(paths: Record<string, string> | undefined, output: unknown): Record<string, unknown> {
  if (!paths) return {};
  const out: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(paths)) {
    const json = (output ?? null) as null | boolean | number | string | object | unknown[];
    const value: unknown = JSONPath({ path, json, wrap: false });
    out[key] = value === undefined ? null : value;
  }
  return out;
}

/** The persisted context is string → string: text stays text, other values become JSON, nothing found is skipped. */
function contextText(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * The step after `step`: the outcome's jump (a branch's target, `on_reject`, `on_timeout`), else the
 * step's `next`, else the following step in the list. A `respond` without `next` ends the run: the
 * steps after it in the list are other paths (a branch's other target), not its continuation.
 */
function nextStepId(def: WorkflowDefinition, step: Step, outcomeNext: string | null | undefined): string | null {
  if (outcomeNext !== undefined) return outcomeNext;
  if (step.next !== undefined) return step.next;
  if (step.type === 'respond') return null;
  const index = def.steps.findIndex((s) => s.id === step.id);
  return def.steps[index + 1]?.id ?? null;
}

/** Applies a step outcome to the run state: retry, continue with the next step, or finish. */
export function completeStep(def: WorkflowDefinition, state: RunState, outcome: StepOutcome, opts: CompleteOptions): Transition {
  const step = currentStep(def, state);
  if (!outcome.ok) {
    const maxAttempts = step.type === 'http' ? (step.retry?.max_attempts ?? 1) : 1;
    if (outcome.retryable && opts.attempt < maxAttempts) {
      const backoff = step.type === 'http' ? (step.retry?.backoff_s ?? 1) : 1;
      return { kind: 'retry', delayMs: retryDelayMs(backoff, opts.attempt, opts.random, outcome.retryAfterMs), error: outcome.error };
    }
    return { kind: 'finished', state: { ...state, status: 'failed', cursor: null, error: outcome.error } };
  }
  const outputs = { ...state.outputs, [step.id]: outcome.output };
  const order = [...state.order, step.id];
  let extracted: Record<string, unknown>;
  let persist: Record<string, string> | undefined;
  try {
    extracted = extractValues(step.type === 'http' ? step.extract : undefined, outcome.output);
    if (step.type === 'http' && step.extract_to_context) persist = contextText(extractValues(step.extract_to_context, outcome.output));
  } catch (err) {
    // A JSONPath that passed validation can still fail to evaluate (e.g. a malformed filter).
    const error = {
      code: 'extract_failed',
      message: `step "${step.id}": extract failed: ${err instanceof Error ? err.message : String(err)}`,
      step_id: step.id,
    };
    return { kind: 'finished', state: { ...state, status: 'failed', cursor: null, error } };
  }
  const context = { ...state.context, ...extracted, ...persist };
  // The first `respond` fixes the synchronous answer; a later one (after a `next`) does not replace it.
  const response = step.type === 'respond' && state.response === null ? (outcome.output as SyncResponse) : state.response;
  const next = nextStepId(def, step, outcome.next);
  const advanced: RunState = { ...state, outputs, order, context, response };
  const withPersist = <T extends Transition>(t: T): T => (persist ? { ...t, persist } : t);
  if (next === null) {
    return withPersist({ kind: 'finished', state: { ...advanced, status: 'succeeded', cursor: null, finalOutput: outcome.output } });
  }
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS_PER_EXECUTION;
  if (order.length >= maxSteps) {
    const error = {
      code: 'max_steps_exceeded',
      message: `execution ran ${order.length} steps, the limit is ${maxSteps}`,
      step_id: step.id,
    };
    return withPersist({ kind: 'finished', state: { ...advanced, status: 'failed', cursor: null, error } });
  }
  return withPersist({ kind: 'continue', state: { ...advanced, cursor: next } });
}

/** Ends a non-terminal run from outside (duration limit, cancel). Returns null if already ended. */
export function endRun(state: RunState, status: 'timed_out' | 'cancelled', error: ExecutionErrorInfo): RunState | null {
  if (isTerminal(state.status)) return null;
  return { ...state, status, cursor: null, error };
}
