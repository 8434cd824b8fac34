import type { Collection } from 'mongodb';
import type { TimerDoc } from './documents';

/**
 * The legacy `timers` collection (ADR 0013): timers stored by earlier versions, fired by the
 * scheduler until it is empty; new timers are JetStream message schedules.
 */

/** How many timers are stored (an estimate from the collection's metadata: no scan). */
export function countStoredTimers(timers: Collection<TimerDoc>): Promise<number> {
  return timers.estimatedDocumentCount();
}

/** Pending timers due by `now`, earliest first. */
export function dueTimers(timers: Collection<TimerDoc>, now: Date, limit: number): Promise<TimerDoc[]> {
  return timers
    .find({ status: 'pending', due_at: { $lte: now } })
    .sort({ due_at: 1 })
    .limit(limit)
    .toArray();
}

/** Removes fired timers (only while still pending). */
export async function deleteFiredTimers(timers: Collection<TimerDoc>, ids: string[]): Promise<void> {
  if (ids.length > 0) await timers.deleteMany({ _id: { $in: ids }, status: 'pending' });
}

export function findTimer(timers: Collection<TimerDoc>, id: string): Promise<TimerDoc | null> {
  return timers.findOne({ _id: id });
}

/** A workspace's stored timers (or one execution's), earliest first. */
export function storedTimersOf(
  timers: Collection<TimerDoc>,
  workspaceId: string,
  executionId: string | undefined,
  limit: number,
): Promise<TimerDoc[]> {
  const filter = { workspace_id: workspaceId, ...(executionId ? { execution_id: executionId } : {}) };
  return timers.find(filter).sort({ due_at: 1 }).limit(limit).toArray();
}
