import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { isKvConflict, sha256Hex, type KV, type KvEntry, type Logger } from '@flowgate/kit';
import type { WorkflowDoc } from '@flowgate/store';
import { z } from 'zod';

/**
 * Webhook idempotency in NATS KV (ADR 0012): the first request with a key claims it with a KV
 * `create` (atomic across replicas: only one create of a key succeeds) carrying a fresh execution
 * id and a per-message TTL of 24 h; a repeat within 24 h reads that id back and starts nothing new.
 * Once the start command is acknowledged the claim is marked `accepted`. A repeat of a claim not
 * (yet) marked — its first publish failed, or is still in flight on another request — publishes the
 * start again under the same execution id: JetStream de-duplicates it by message id within its
 * 2-minute window; past that window the execution record is consulted first.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** The per-message TTL of a claim (Go duration syntax, the `Nats-TTL` header). */
export const IDEMPOTENCY_TTL = '24h';
/** JetStream's de-duplication window of the commands stream (kit's nats.ts), with a margin. */
export const DEDUP_SAFE_MS = 90_000;

export interface Claim {
  key: string;
  executionId: string;
  /** True when the key was claimed before: answer with the earlier execution. */
  replayed: boolean;
  /** The earlier request's start command was acknowledged (nothing to publish). */
  accepted: boolean;
  /** When the key was claimed. */
  claimedAt: Date;
  revision: number;
}

const claimValue = z.object({ execution_id: z.string().min(1), state: z.enum(['claimed', 'accepted']) });

const unavailable = () => new ApiError('dependency_unavailable', 'Could not check the idempotency key; nothing was accepted, retry later');

export class IdempotencyKeys {
  constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  /** KV key of a webhook key: hex, so any key the API accepts fits KV's key alphabet. */
  /** `runWorkspaceId`: set for a shared workflow's receiver (ADR 0017), whose keys never meet the owner's. */
  static keyOf(workflow: Pick<WorkflowDoc, '_id' | 'workspace_id'>, key: string, runWorkspaceId = workflow.workspace_id): string {
    return runWorkspaceId === workflow.workspace_id
      ? sha256Hex(`${workflow._id}:${key}`)
      : sha256Hex(`${workflow._id}@${runWorkspaceId}:${key}`);
  }

  async claim(workflow: WorkflowDoc, key: string, now = new Date(), runWorkspaceId = workflow.workspace_id): Promise<Claim> {
    const k = IdempotencyKeys.keyOf(workflow, key, runWorkspaceId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const executionId = randomUUID();
      try {
        const revision = await this.kv.create(k, JSON.stringify({ execution_id: executionId, state: 'claimed' }), IDEMPOTENCY_TTL);
        return { key: k, executionId, replayed: false, accepted: false, claimedAt: now, revision };
      } catch (err) {
        if (!isKvConflict(err)) {
          this.logger.warn({ err, workflow_id: workflow._id }, 'idempotency claim failed');
          throw unavailable();
        }
      }
      let entry: KvEntry | null;
      try {
        entry = await this.kv.get(k);
      } catch (err) {
        this.logger.warn({ err, workflow_id: workflow._id }, 'idempotency key read failed');
        throw unavailable();
      }
      // Expired or deleted between the create and the read: claim again.
      if (!entry || entry.operation !== 'PUT') continue;
      const value = claimValue.safeParse(safeJson(entry));
      if (!value.success) throw new ApiError('internal', 'Unreadable idempotency key');
      return {
        key: k,
        executionId: value.data.execution_id,
        replayed: true,
        accepted: value.data.state === 'accepted',
        claimedAt: entry.created,
        revision: entry.revision,
      };
    }
    throw unavailable();
  }

  /** Marks the claim's start as acknowledged; a failure only costs a de-duplicated publish later. */
  async accepted(claim: Claim): Promise<void> {
    if (claim.accepted) return;
    try {
      await this.kv.update(claim.key, JSON.stringify({ execution_id: claim.executionId, state: 'accepted' }), claim.revision);
    } catch (err) {
      // Another request for the same key marked it first: fine.
      if (!isKvConflict(err)) this.logger.warn({ err, execution_id: claim.executionId }, 'could not mark an idempotency claim accepted');
    }
  }
}

function safeJson(entry: KvEntry): unknown {
  try {
    return entry.json<unknown>();
  } catch {
    return null;
  }
}
