import { randomUUID } from 'node:crypto';
import { sha256Hex } from '@flowgate/kit';
import { insertIfAbsent, type Collections, type WorkflowDoc } from '@flowgate/store';

/**
 * Webhook idempotency: the first request with a key claims it (an insert, atomic on MongoDB and
 * FerretDB) with a fresh execution id; a repeat within 24 h gets that id back and starts nothing
 * new. Concurrent duplicates race on the insert: one claims, the others get its id.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface Claim {
  executionId: string;
  /** True when the key was claimed before: answer with the earlier execution. */
  replayed: boolean;
}

export async function claimIdempotencyKey(store: Collections, workflow: WorkflowDoc, key: string, now: Date): Promise<Claim> {
  const _id = sha256Hex(`${workflow._id}:${key}`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const executionId = randomUUID();
    const claimed = await insertIfAbsent(store.idempotencyKeys, {
      _id,
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      execution_id: executionId,
      created_at: now,
    });
    if (claimed) return { executionId, replayed: false };
    const existing = await store.idempotencyKeys.findOne({ _id });
    if (!existing) continue;
    if (now.getTime() - existing.created_at.getTime() < IDEMPOTENCY_TTL_MS) return { executionId: existing.execution_id, replayed: true };
    // Older than 24 h: the key is free again.
    await store.idempotencyKeys.deleteOne({ _id, created_at: existing.created_at });
  }
  throw new Error('could not claim the idempotency key');
}

/** Retention without TTL indexes (not portable to FerretDB): expired keys are deleted periodically. */
export async function sweepIdempotencyKeys(store: Collections, now: Date): Promise<number> {
  const res = await store.idempotencyKeys.deleteMany({ created_at: { $lt: new Date(now.getTime() - IDEMPOTENCY_TTL_MS) } });
  return res.deletedCount;
}
