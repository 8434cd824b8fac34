import { randomUUID } from 'node:crypto';
import { ApiError, messageIds, type DebounceCommand, type StartCommand, type Subjects } from '@flowgate/contracts';
import {
  debounceEvent,
  debouncePolicyOf,
  flowKeyOf,
  flowKeyToken,
  type DebounceConfig,
  type DebounceDecision,
  type Environment,
  type TriggerInput,
} from '@flowgate/core';
import { publishJson, scheduleDebounce, type JetStreamClient, type Logger } from '@flowgate/kit';
import type { DebounceWindows, WorkflowDoc } from '@flowgate/store';
import type { Claim } from '../idempotency';
import type { RunTarget } from '../run-targets';
import type { ExecutionStarter, Started } from '../starter';
import type { ClaimMarks } from './start';

/** What the stage publishes to JetStream (acknowledged; a failure throws). */
export interface DebounceMessages {
  /** A fired window's start found still in place (its message id: the execution id, de-duplicated). */
  publishStart(command: StartCommand): Promise<void>;
  /** Sets the window's message schedule (replacing the one it had). */
  schedule(command: DebounceCommand): Promise<void>;
}

export function jetStreamDebounceMessages(js: JetStreamClient, subjects: Subjects, timeoutMs: number): DebounceMessages {
  return {
    publishStart: async (command) => {
      await publishJson(js, subjects.command('start', command.workspace_id), command, messageIds.start(command.execution_id), timeoutMs);
    },
    schedule: async (command) => {
      await scheduleDebounce(js, subjects, command, timeoutMs);
    },
  };
}

/** Debounce windows (NATS KV), the stage's messages and payload clean-up: only debounced workflows touch them. */
export interface DebounceStage {
  windows: Pick<DebounceWindows, 'event'>;
  messages: DebounceMessages;
  /** Removes the large input of an event superseded in its window (store payloads.ts `deletePayload`). */
  removePayload(payloadId: string): Promise<void>;
}

export interface DebounceDeps {
  starter: Pick<ExecutionStarter, 'prepare' | 'reserveQuota' | 'statusUrl'>;
  debounce: DebounceStage;
  idempotency: ClaimMarks;
  logger: Logger;
}

export type Debounced = Started & { debounced: true };

const unavailable = () => new ApiError('dependency_unavailable', 'Could not queue the event; nothing was accepted, retry later');

/** Payload ids of debounced events' large inputs (each event its own, see below). */
const PAYLOAD_PREFIX = 'dbn_';

/**
 * The window token of an event: its key (flow-keys.ts) per environment, so a development webhook
 * never joins a production window.
 */
export async function debounceTokenOf(config: DebounceConfig, environment: Environment, input: TriggerInput): Promise<string> {
  const key = await flowKeyOf(config.key, input);
  return flowKeyToken(environment === 'production' ? key.value : `${environment}:${key.value}`);
}

/**
 * Stage "start" of a debounced webhook (ADR 0022), in place of a start: the event joins its key's
 * window in NATS KV — or opens one, under a new execution id, counting one execution of the
 * workspace's quotas — and sets the window's schedule again for its due time. Nothing is published
 * to the executor now: the schedule's fire (services/execution debounce-fire.ts) publishes the
 * window's latest start command. An idempotent repeat whose first delivery was accepted answers
 * that delivery's execution and does not join the window again.
 */
export async function debounceWebhook(
  deps: DebounceDeps,
  config: DebounceConfig,
  workflow: WorkflowDoc,
  input: TriggerInput,
  claim: Claim | null,
  target: RunTarget,
): Promise<Debounced> {
  const definition = target.definition;
  const answer = (executionId: string): Debounced => ({
    executionId,
    statusUrl: deps.starter.statusUrl(executionId),
    definition,
    debounced: true,
  });
  if (claim?.replayed && claim.accepted) return answer(claim.executionId);

  const token = await debounceTokenOf(config, target.environment, input);
  // A large input is stored under the event's own id: each event of a window has its own payload.
  const prepared = await deps.starter.prepare(workflow, input, `${PAYLOAD_PREFIX}${randomUUID()}`, target);
  const { workspaceId } = prepared;
  const policy = debouncePolicyOf(config);
  const executionId = claim?.executionId ?? randomUUID();
  let reservation: { release(): Promise<void> } | null = null;
  const giveBack = async () => {
    await reservation?.release().catch((err: unknown) => deps.logger.warn({ err }, 'could not give back a quota reservation'));
    reservation = null;
  };
  const beforeWrite = async (d: DebounceDecision<StartCommand>) => {
    // A fired window still there: its start may not be published yet (the fire in progress or crashed). Publish it first (de-duplicated).
    if (d.carried) await deps.debounce.messages.publishStart(d.carried);
    // A new window is one execution: one quota unit, reserved once (429 quota_exceeded opens nothing).
    if (d.opened && !reservation) reservation = await deps.starter.reserveQuota(workspaceId, prepared.acceptedAt);
  };

  let decision: DebounceDecision<StartCommand>;
  try {
    decision = await deps.debounce.windows.event(
      workspaceId,
      workflow._id,
      token,
      (current) => debounceEvent(current, { now: prepared.acceptedAt, executionId, start: prepared.command }, policy),
      beforeWrite,
    );
  } catch (err) {
    await giveBack();
    if (err instanceof ApiError) throw err;
    deps.logger.warn({ err, workflow_id: workflow._id, workspace_id: workspaceId }, 'debounce window not written');
    throw unavailable();
  }
  // Lost the race to open the window: joined the one another request opened.
  if (!decision.opened) await giveBack();
  const window = decision.window;
  // The event this one replaced never starts now (a fire that read it cannot mark it fired any more).
  const supersededRef = decision.superseded?.trigger_input_ref;
  if (supersededRef?.startsWith(PAYLOAD_PREFIX) && supersededRef !== window.start.trigger_input_ref) {
    deps.debounce
      .removePayload(supersededRef)
      .catch((err: unknown) => deps.logger.warn({ err, payload_id: supersededRef }, 'could not remove a superseded debounced input'));
  }
  try {
    await deps.debounce.messages.schedule({
      type: 'debounce',
      workspace_id: workspaceId,
      workflow_id: workflow._id,
      key_token: token,
      due_at: window.due_at,
    });
  } catch (err) {
    // The event is in the window; a window that another event scheduled fires anyway. The caller
    // retries on 503: its retry joins the window and sets the schedule.
    deps.logger.warn({ err, execution_id: window.execution_id, workspace_id: workspaceId }, 'debounce schedule not set');
    throw unavailable();
  }
  if (claim) await deps.idempotency.accepted({ ...claim, executionId: window.execution_id });
  return answer(window.execution_id);
}
