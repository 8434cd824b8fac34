import { startCommandSchema, type StartCommand } from '@flowgate/contracts';
import { DEBOUNCE_MAX_WAIT_S, type DebounceDecision, type DebounceWindow } from '@flowgate/core';
import { isKvConflict, type KV, type KvEntry } from '@flowgate/kit';
import { z } from 'zod';

/**
 * Debounce windows (`trigger.webhook.debounce`, ADR 0022) in NATS KV: one key per window,
 * `<workspace>.<workflow>.<key token>`, holding core's `DebounceWindow` with the start command of
 * the window's latest event. Every change is a compare-and-set on the key's revision, so ingress
 * replicas and the executor's fire never both win; decisions are core debounce.ts's.
 */
export type StoredDebounceWindow = DebounceWindow<StartCommand>;

/**
 * The bucket's max age, a safety net only (a window is removed when it fires): longer than the
 * longest window (max_wait_s ≤ 7 days) plus a day for a fire held up by an outage.
 */
export const DEBOUNCE_WINDOW_TTL_MS = (DEBOUNCE_MAX_WAIT_S + 86_400) * 1000;

/** How long the purge marker of a fired window stays (one per key value ever debounced would pile up otherwise). */
const FIRED_MARKER_TTL = '60s';

/** The bucket's options (kit openKv), the same in every service that opens it. */
export const DEBOUNCE_BUCKET_OPTIONS = { ttlMs: DEBOUNCE_WINDOW_TTL_MS, markerTtlMs: 60_000 };

const windowSchema = z.object({
  execution_id: z.string().min(1),
  first_at: z.string(),
  due_at: z.string(),
  events: z.number().int().min(1),
  fired: z.boolean(),
  start: startCommandSchema,
});

export interface WindowAt {
  window: StoredDebounceWindow;
  revision: number;
}

const MAX_RACES = 32;

export class DebounceWindows {
  constructor(private readonly kv: KV) {}

  static key(workspaceId: string, workflowId: string, keyToken: string): string {
    return `${workspaceId}.${workflowId}.${keyToken}`;
  }

  private static parse(entry: KvEntry | null): WindowAt | null {
    if (!entry || entry.operation !== 'PUT') return null;
    const parsed = windowSchema.safeParse(entry.json<unknown>());
    if (!parsed.success) throw new Error(`unreadable debounce window ${entry.key}: ${parsed.error.message}`);
    return { window: parsed.data, revision: entry.revision };
  }

  async get(workspaceId: string, workflowId: string, keyToken: string): Promise<WindowAt | null> {
    return DebounceWindows.parse(await this.kv.get(DebounceWindows.key(workspaceId, workflowId, keyToken)));
  }

  /**
   * An event: `decide` (core debounceEvent) sees the current window; `beforeWrite` runs the
   * decision's side effects that must precede the write (publish a carried start, reserve a quota
   * unit) and may run again when another replica wrote first (then the event decides again on what
   * that one wrote). Returns the decision that was written.
   */
  async event(
    workspaceId: string,
    workflowId: string,
    keyToken: string,
    decide: (current: StoredDebounceWindow | null) => DebounceDecision<StartCommand>,
    beforeWrite: (decision: DebounceDecision<StartCommand>) => Promise<void>,
  ): Promise<DebounceDecision<StartCommand>> {
    const key = DebounceWindows.key(workspaceId, workflowId, keyToken);
    for (let race = 0; race < MAX_RACES; race++) {
      const entry = await this.kv.get(key);
      const current = DebounceWindows.parse(entry);
      const decision = decide(current?.window ?? null);
      await beforeWrite(decision);
      try {
        if (current) await this.kv.update(key, JSON.stringify(decision.window), current.revision);
        else await this.kv.create(key, JSON.stringify(decision.window));
        return decision;
      } catch (err) {
        if (!isKvConflict(err)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 5));
      }
    }
    throw new Error('debounce window: too many concurrent changes');
  }

  /** Marks a due window fired (compare-and-set on `at`): its revision, or null if it changed meanwhile. */
  async markFired(workspaceId: string, workflowId: string, keyToken: string, at: WindowAt): Promise<number | null> {
    try {
      return await this.kv.update(
        DebounceWindows.key(workspaceId, workflowId, keyToken),
        JSON.stringify({ ...at.window, fired: true }),
        at.revision,
      );
    } catch (err) {
      if (isKvConflict(err)) return null;
      throw err;
    }
  }

  /**
   * Removes a fired window if it is still at `revision` (an event may have opened the next one
   * meanwhile); its purge marker expires after a minute.
   */
  async remove(workspaceId: string, workflowId: string, keyToken: string, revision: number): Promise<boolean> {
    try {
      await this.kv.purge(DebounceWindows.key(workspaceId, workflowId, keyToken), { previousSeq: revision, ttl: FIRED_MARKER_TTL });
      return true;
    } catch (err) {
      if (isKvConflict(err)) return false;
      throw err;
    }
  }
}
