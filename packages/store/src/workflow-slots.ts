import { arrive, EMPTY_SLOTS, leave, type SlotGate, type SlotQueue } from '@flowgate/core';
import { KvCas, type KV } from '@flowgate/kit';

/**
 * Concurrency limits across replicas: one NATS KV key per queue holds its slot queue (core
 * slots.ts), changed by compare-and-set, so two replicas never hand out one slot twice and waiting
 * executions start in arrival order. `max_concurrent_executions` is the workflow's queue
 * (`<workspace>.<workflow>`), each key value of a keyed `concurrency` limit its own
 * (`<workspace>.<workflow>.k<i>.<key token>`: core flow-control.ts `slotGatesOf`). No database
 * query, no scan.
 */
const MAX_RACES = 64;

export class WorkflowSlots {
  private readonly cas: KvCas;

  constructor(private readonly kv: KV) {
    this.cas = new KvCas(kv, MAX_RACES, () => new Error('slot queue: too many concurrent changes'));
  }

  private static key(workspaceId: string, workflowId: string, gate: string): string {
    return gate === '' ? `${workspaceId}.${workflowId}` : `${workspaceId}.${workflowId}.${gate}`;
  }

  private change<T extends { queue: SlotQueue; changed: boolean }>(
    workspaceId: string,
    workflowId: string,
    gate: string,
    decide: (queue: SlotQueue) => T,
  ): Promise<T> {
    return this.cas.change(WorkflowSlots.key(workspaceId, workflowId, gate), (entry) => {
      const queue = entry && entry.operation === 'PUT' ? entry.json<SlotQueue>() : EMPTY_SLOTS;
      const result = decide(queue);
      if (!result.changed) return { result };
      // A keyed queue left empty is deleted: keys come and go with the values in use, and the sweep walks them all.
      const empty = result.queue.running.length === 0 && result.queue.waiting.length === 0;
      return gate !== '' && empty ? { remove: true, result } : { write: JSON.stringify(result.queue), result };
    });
  }

  /** An execution that wants a place in `gate`: `runs` if it holds one; `promoted`: waiting ones whose start must be sent. */
  async arrive(
    workspaceId: string,
    workflowId: string,
    gate: SlotGate,
    executionId: string,
  ): Promise<{ runs: boolean; promoted: string[] }> {
    const { runs, promoted } = await this.change(workspaceId, workflowId, gate.queue, (q) => arrive(q, executionId, gate.max));
    return { runs, promoted };
  }

  /** An execution that ended: its place in `gate` is freed; returns the waiting ones that got a slot. */
  async leave(workspaceId: string, workflowId: string, gate: SlotGate, executionId: string): Promise<string[]> {
    return (await this.change(workspaceId, workflowId, gate.queue, (q) => leave(q, executionId, gate.max))).promoted;
  }

  /** Every queue (the sweep's safety net): `gate` is the queue's name within its workflow ("" for the workflow's own). */
  async all(): Promise<{ workspaceId: string; workflowId: string; gate: string; queue: SlotQueue }[]> {
    const out: { workspaceId: string; workflowId: string; gate: string; queue: SlotQueue }[] = [];
    for await (const key of await this.kv.keys()) {
      const [workspaceId, workflowId, ...rest] = key.split('.');
      const entry = await this.kv.get(key);
      if (!workspaceId || !workflowId || !entry || entry.operation !== 'PUT') continue;
      out.push({ workspaceId, workflowId, gate: rest.join('.'), queue: entry.json<SlotQueue>() });
    }
    return out;
  }
}
