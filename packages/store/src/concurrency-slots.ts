import { MongoServerError, type Collection } from 'mongodb';
import type { ConcurrencySlotDoc } from './documents';

/**
 * `max_concurrent_executions`: one document per taken slot, `_id` `<workflow id>#<n>` with n below
 * the cap, and a unique index on `execution_id`. Taking a slot is an insert, so the primary key
 * keeps two executions out of one slot and the unique index keeps one execution out of two slots,
 * on MongoDB and on FerretDB alike (whose findAndModify is a query followed by a separate write,
 * so a filtered update could not guard the cap there).
 */
export async function acquireSlot(
  slots: Collection<ConcurrencySlotDoc>,
  workflowId: string,
  executionId: string,
  max: number,
  now: Date,
): Promise<boolean> {
  const taken = await slots.find({ workflow_id: workflowId }, { projection: { _id: 1, execution_id: 1 } }).toArray();
  if (taken.some((s) => s.execution_id === executionId)) return true;
  if (taken.length >= max) return false;
  const used = new Set(taken.map((s) => s._id));
  for (let n = 0; n < max; n++) {
    const _id = `${workflowId}#${n}`;
    if (used.has(_id)) continue;
    try {
      await slots.insertOne({ _id, workflow_id: workflowId, execution_id: executionId, acquired_at: now });
      return true;
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      // Slot taken meanwhile, or this execution took another one meanwhile.
      if (await holdsSlot(slots, executionId)) return true;
    }
  }
  return false;
}

export async function holdsSlot(slots: Collection<ConcurrencySlotDoc>, executionId: string): Promise<boolean> {
  return (await slots.countDocuments({ execution_id: executionId }, { limit: 1 })) > 0;
}

export async function releaseSlot(slots: Collection<ConcurrencySlotDoc>, executionId: string): Promise<void> {
  await slots.deleteMany({ execution_id: executionId });
}
