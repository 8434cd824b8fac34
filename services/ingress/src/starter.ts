import { randomUUID } from 'node:crypto';
import {
  ApiError,
  INLINE_TRIGGER_INPUT_MAX_BYTES,
  messageIds,
  startCommand,
  triggerInputStub,
  type StartCommand,
} from '@flowgate/contracts';
import { concurrencyKeysOf, slotGatesOf, type Environment, type TriggerInput, type WorkflowDefinition } from '@flowgate/core';
import { publishJsonWithin } from '@flowgate/kit';
import {
  newExecutionOf,
  queuedExecution,
  savePayload,
  toJsonText,
  type WorkflowDoc,
  type WorkspaceDoc,
  isDeletedWorkspace,
} from '@flowgate/store';
import type { PublishDeps } from './publish-deps';
import type { QuotaGate } from './quotas';
import type { RunTarget, RunTargets } from './run-targets';

/**
 * Starts executions for webhooks and replays alike: publish the start command (message id =
 * execution id) and wait for JetStream's ack — only then is the execution accepted — and record it
 * as queued so its status URL answers at once (the executor records it too, whichever comes first).
 */
export interface Started {
  executionId: string;
  statusUrl: string;
  definition: WorkflowDefinition;
  /** Held in a debounce window (webhook/debounce.ts): answered 202 `debounced`, also on the sync URL. */
  debounced?: true;
}

export class ExecutionStarter {
  constructor(
    private readonly deps: PublishDeps & {
      /** Resolves (and caches) what the latest published version runs, like the production webhook. */
      runTargets: RunTargets;
      /** Workspace quotas: checked (and counted) before every start; 429 quota_exceeded queues nothing. */
      quotas?: QuotaGate;
      /** A workspace's state (from memory, config-cache.ts): a suspended or deleted workspace starts nothing. */
      workspaces?: (id: string) => Promise<WorkspaceDoc | null>;
    },
  ) {}

  /** 403 workspace_suspended, or 404 for a workspace being deleted; nothing is queued. */
  private async checkWorkspace(workspaceId: string): Promise<void> {
    const status = (await this.deps.workspaces?.(workspaceId))?.status ?? 'active';
    if (status === 'suspended') throw new ApiError('workspace_suspended', 'This workspace is suspended: it starts no executions');
    if (isDeletedWorkspace(status)) throw new ApiError('workspace_not_found', 'Workspace not found');
  }

  statusUrl(executionId: string): string {
    return `${this.deps.publicUrl}/v1/executions/${executionId}`;
  }

  /** The latest published version of a workflow; 404 workflow_not_published if there is none. */
  async published(workflow: WorkflowDoc): Promise<{ version: number; definition: WorkflowDefinition }> {
    const { version, definition } = await this.deps.runTargets.resolve(workflow, 'production');
    return { version, definition };
  }

  /** Exactly the version (or draft snapshot) an earlier execution ran (run-targets.ts `pinned`). */
  pinned(workflow: WorkflowDoc, environment: Environment, version: number, draftId: string | null): Promise<RunTarget> {
    return this.deps.runTargets.pinned(workflow, environment, version, draftId);
  }

  /**
   * Throws ApiError dependency_unavailable (nothing accepted) if JetStream does not acknowledge.
   * `executionId` is given for an idempotent webhook: publishing it again (a retry whose first
   * publish never got an answer) is de-duplicated by JetStream.
   */
  async start(
    workflow: WorkflowDoc,
    triggerInput: TriggerInput,
    replayOf: string | null = null,
    executionId: string = randomUUID(),
    /** The environment's version or draft snapshot (run-targets.ts); default: the latest published version. */
    target?: RunTarget,
  ): Promise<Started> {
    const prepared = await this.prepare(workflow, triggerInput, executionId, target, replayOf);
    const { workspaceId, definition, acceptedAt } = prepared;
    const command = prepared.command(executionId);
    const reservation = await this.deps.quotas?.reserve(workspaceId, acceptedAt);
    let duplicate = false;
    try {
      const subject = this.deps.subjects.command('start', workspaceId);
      // Retried under the same message id within the timeout: a lost ack (a leader failing over) is not a 503.
      const ack = await publishJsonWithin(this.deps.js, subject, command, messageIds.start(executionId), this.deps.publishTimeoutMs);
      duplicate = ack.duplicate;
      // A repeat of an idempotent start (same execution id) that JetStream de-duplicated: counted once.
      if (ack.duplicate)
        await reservation?.release().catch((e: unknown) => this.deps.logger.warn({ err: e }, 'could not give back a quota reservation'));
    } catch (err) {
      await reservation?.release().catch((e: unknown) => this.deps.logger.warn({ err: e }, 'could not give back a quota reservation'));
      this.deps.logger.warn({ err, workflow_id: workflow._id, workspace_id: workspaceId }, 'start command not acknowledged');
      throw new ApiError('dependency_unavailable', 'Could not queue the execution; nothing was accepted, retry later');
    }
    const queued = queuedExecution({
      ...newExecutionOf(command),
      on_success_url: definition.on_success_url ?? null,
      on_failure_url: definition.on_failure_url ?? null,
    });
    // Live at once (NATS KV, no database round trip); the executor writes MongoDB by group commit.
    // Not for a de-duplicated repeat: its execution is live already, or ended (and must stay ended).
    if (!duplicate) {
      await this.deps.live
        .create(queued)
        .catch((err: unknown) => this.deps.logger.warn({ err, execution_id: executionId }, 'could not record accepted execution'));
    }
    // A capped workflow's execution takes its place in its first slot queue now, so a later webhook
    // never overtakes it, whichever executor handles which start first (it would queue at the executor
    // otherwise); the executor takes the others in order (core slotGatesOf).
    // (Not for a de-duplicated repeat: its execution has its place already, or has ended.)
    const [first] = slotGatesOf(definition, command.concurrency_keys ?? []);
    if (first && !duplicate) {
      await this.deps.slots
        .arrive(workspaceId, workflow._id, first, executionId)
        .catch((err: unknown) => this.deps.logger.warn({ err, execution_id: executionId }, 'could not queue for a concurrency slot'));
    }
    return { executionId, statusUrl: this.statusUrl(executionId), definition };
  }

  /**
   * What a start needs before its publish: the workspace may start (403 / 404), the version it runs,
   * the input offloaded if large (under `payloadId`), and the start command for an execution id —
   * a debounce window (webhook/debounce.ts) holds that command until it fires, under the window's id.
   */
  async prepare(
    workflow: WorkflowDoc,
    triggerInput: TriggerInput,
    payloadId: string,
    target?: RunTarget,
    replayOf: string | null = null,
  ): Promise<{ workspaceId: string; definition: WorkflowDefinition; acceptedAt: Date; command: (executionId: string) => StartCommand }> {
    // A shared workflow runs in the receiver's workspace (ADR 0017): its state, quotas, subjects, executions.
    const workspaceId = target?.share?.workspaceId ?? workflow.workspace_id;
    await this.checkWorkspace(workspaceId);
    const { version, definition } = target ?? (await this.published(workflow));
    const acceptedAt = new Date();
    const offload = await this.offloadLargeInput(workspaceId, payloadId, triggerInput, acceptedAt);
    // Keyed concurrency: the key values are taken once, here, on the whole input (the executor uses them as recorded).
    const concurrencyKeys = definition.concurrency ? await concurrencyKeysOf(definition.concurrency, triggerInput) : [];
    const command = (executionId: string) =>
      startCommand({
        execution_id: executionId,
        workspace_id: workspaceId,
        workflow_id: workflow._id,
        workflow_version: version,
        trigger_input: offload.inline,
        trigger_input_ref: offload.ref,
        accepted_at: acceptedAt,
        replay_of: replayOf,
        environment: target?.environment,
        draft_id: target?.draftId,
        test_run: target?.testRun,
        share_id: target?.share?.id,
        replay_from_step: target?.fromStep,
        concurrency_keys: concurrencyKeys,
      });
    return { workspaceId, definition, acceptedAt, command };
  }

  /** One execution of the workspace's quotas (429 quota_exceeded); given back by `release` if nothing starts. */
  async reserveQuota(workspaceId: string, at: Date): Promise<{ release(): Promise<void> }> {
    return (await this.deps.quotas?.reserve(workspaceId, at)) ?? { release: () => Promise.resolve() };
  }

  /**
   * A trigger input too large for a NATS message (bodies up to FLOWGATE_MAX_BODY_BYTES) is stored in
   * MongoDB first, under the execution id; the command then carries its stub and the reference.
   */
  private async offloadLargeInput(
    workspaceId: string,
    payloadId: string,
    input: TriggerInput,
    now: Date,
  ): Promise<{ inline: TriggerInput; ref: string | null }> {
    const text = toJsonText(input);
    if (Buffer.byteLength(text, 'utf8') <= INLINE_TRIGGER_INPUT_MAX_BYTES) return { inline: input, ref: null };
    try {
      await savePayload(this.deps.store.payloads, payloadId, workspaceId, text, now);
    } catch (err) {
      this.deps.logger.warn({ err, payload_id: payloadId }, 'could not store a large trigger input');
      throw new ApiError('dependency_unavailable', 'Could not store the request body; nothing was accepted, retry later');
    }
    return { inline: triggerInputStub(input), ref: payloadId };
  }
}
