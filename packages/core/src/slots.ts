/**
 * `max_concurrent_executions` as one small queue per workflow: the executions holding a slot
 * (`running`) and those waiting for one (`waiting`, in arrival order). Pure decisions; the store
 * keeps the queue in one NATS KV key changed by compare-and-set, so the cap holds across replicas.
 */
export interface SlotQueue {
  running: string[];
  waiting: string[];
}

export const EMPTY_SLOTS: SlotQueue = { running: [], waiting: [] };

/**
 * An arrival (safe to repeat): it runs if it holds a slot or one is free with nobody waiting, else it
 * waits. Free slots go to those already waiting first (`promoted`: their starts must be sent).
 */
export function arrive(
  queue: SlotQueue,
  executionId: string,
  max: number,
): { queue: SlotQueue; runs: boolean; promoted: string[]; changed: boolean } {
  if (queue.running.includes(executionId)) return { queue, runs: true, promoted: [], changed: false };
  const first = promoteWaiting(queue, max);
  const promoted = first.promoted.filter((id) => id !== executionId);
  if (first.queue.running.includes(executionId)) return { queue: first.queue, runs: true, promoted, changed: true };
  if (first.queue.waiting.includes(executionId)) return { queue: first.queue, runs: false, promoted, changed: promoted.length > 0 };
  const next = first.queue;
  if (next.running.length < max && next.waiting.length === 0) {
    return { queue: { ...next, running: [...next.running, executionId] }, runs: true, promoted, changed: true };
  }
  return { queue: { ...next, waiting: [...next.waiting, executionId] }, runs: false, promoted, changed: true };
}

/** An end (safe to repeat): frees its slot or its place, and hands free slots to the oldest waiting. */
export function leave(queue: SlotQueue, executionId: string, max: number): { queue: SlotQueue; promoted: string[]; changed: boolean } {
  const had = queue.running.includes(executionId) || queue.waiting.includes(executionId);
  const rest = { running: queue.running.filter((id) => id !== executionId), waiting: queue.waiting.filter((id) => id !== executionId) };
  const next = promoteWaiting(rest, max);
  return { ...next, changed: had || next.promoted.length > 0 };
}

/** Moves the oldest waiting executions into free slots. */
export function promoteWaiting(queue: SlotQueue, max: number): { queue: SlotQueue; promoted: string[] } {
  const free = Math.max(0, max - queue.running.length);
  const promoted = queue.waiting.slice(0, free);
  if (promoted.length === 0) return { queue, promoted };
  return { queue: { running: [...queue.running, ...promoted], waiting: queue.waiting.slice(promoted.length) }, promoted };
}
