import { arrive, EMPTY_SLOTS, leave, type SlotQueue } from '@flowgate/core';
import { KvCas, type KV } from '@flowgate/kit';

/**
 * `max_concurrent_executions` across replicas: one NATS KV key per workflow (`<workspace>.<workflow>`)
 * holds its slot queue (core slots.ts), changed by compare-and-set, so two replicas never hand out
 * one slot twice and waiting executions start in arrival order. No database query, no scan.
 */
const MAX_RACES = 64;

export class WorkflowSlots {
  private readonly cas: KvCas;

  constructor(private readonly kv: KV) {
    this.cas = new KvCas(kv, MAX_RACES, () => new Error('slot queue: too many concurrent changes'));
  }

  private static key(workspaceId: string, workflowId: string): string {
    return `${workspaceId}.${workflowId}`;
  }

  private change<T extends { queue: SlotQueue; changed: boolean }>(
    workspaceId: string,
    workflowId: string,
    decide: (queue: SlotQueue) => T,
  ): Promise<T> {
    return this.cas.change(WorkflowSlots.key(workspaceId, workflowId), (entry) => {
      const queue = entry && entry.operation === 'PUT' ? entry.json<SlotQueue>() : EMPTY_SLOTS;
      const result = decide(queue);
      return result.changed ? { write: JSON.stringify(result.queue), result } : { result };
    });
  }

  /** An execution that wants to start: `runs` if it holds a slot; `promoted`: waiting ones whose start must be sent. */
  arrive(workspaceId: string, workflowId: string, executionId: string, max: number): Promise<{ runs: boolean; promoted: string[] }> {
    return this.change(workspaceId, workflowId, (q) => arrive(q, executionId, max));
  }

  /** An execution that ended: its slot (or place) is freed; returns the waiting ones that got a slot. */
  async leave(workspaceId: string, workflowId: string, executionId: string, max: number): Promise<string[]> {
    return (await this.change(workspaceId, workflowId, (q) => leave(q, executionId, max))).promoted;
  }

  /** Every workflow's queue (the sweep's safety net). */
  async all(): Promise<{ workspaceId: string; workflowId: string; queue: SlotQueue }[]> {
    const out: { workspaceId: string; workflowId: string; queue: SlotQueue }[] = [];
    for await (const key of await this.kv.keys()) {
      const [workspaceId, workflowId] = key.split('.');
      const entry = await this.kv.get(key);
      if (!workspaceId || !workflowId || !entry || entry.operation !== 'PUT') continue;
      out.push({ workspaceId, workflowId, queue: entry.json<SlotQueue>() });
    }
    return out;
  }
}
