import { z } from 'zod';
import { flowKeySchema } from './flow-keys';

/**
 * Debounce per key (`trigger.webhook.debounce`, ADR 0022): webhooks whose key (flow-keys.ts) is equal
 * share one window; the window's one execution starts `period_s` after the window's last event
 * (each event moves it), at the latest `max_wait_s` after its first, with the last event's input.
 * Pure decisions here; the window lives in NATS KV (store debounce-windows.ts), changed by
 * compare-and-set, so any number of ingress replicas share it.
 */
export const DEBOUNCE_MAX_PERIOD_S = 86_400;
export const DEBOUNCE_MAX_WAIT_S = 7 * 86_400;
/** `max_wait_s` when not set: ten periods, at most DEBOUNCE_MAX_WAIT_S (a steady stream of events still runs). */
export const DEBOUNCE_DEFAULT_WAIT_PERIODS = 10;

export const debounceSchema = z
  .object({
    key: flowKeySchema.describe(
      'JSONata over {trigger} giving the debounce key, e.g. trigger.body.customer_id (null, missing or failing: the empty key, one shared window)',
    ),
    period_s: z
      .number()
      .positive()
      .max(DEBOUNCE_MAX_PERIOD_S)
      .describe('Quiet time: the execution starts this long after the last event with the key (each event moves it)'),
    max_wait_s: z
      .number()
      .positive()
      .max(DEBOUNCE_MAX_WAIT_S)
      .optional()
      .describe(
        'The execution starts at the latest this long after the first event of its window (default: 10 × period_s, at most 7 days)',
      ),
  })
  .strict()
  .refine((d) => d.max_wait_s === undefined || d.max_wait_s >= d.period_s, {
    path: ['max_wait_s'],
    message: 'must be at least period_s',
  })
  .describe(
    'Debounce per key: events with the same key within period_s start one execution, with the last event’s input; earlier ones answer 202 `debounced` with its id',
  );

export type DebounceConfig = z.infer<typeof debounceSchema>;

export interface DebouncePolicy {
  periodMs: number;
  maxWaitMs: number;
}

export function debouncePolicyOf(config: DebounceConfig): DebouncePolicy {
  const maxWaitS = config.max_wait_s ?? Math.min(DEBOUNCE_MAX_WAIT_S, DEBOUNCE_DEFAULT_WAIT_PERIODS * config.period_s);
  return { periodMs: Math.round(config.period_s * 1000), maxWaitMs: Math.round(maxWaitS * 1000) };
}

/**
 * A debounce window as stored (one per workspace, workflow and key). `start` is what the fire
 * publishes (the start command built from the latest event); core does not look into it.
 */
export interface DebounceWindow<S> {
  execution_id: string;
  /** The first event's time (ISO): the window fires at the latest `max_wait` after it. */
  first_at: string;
  /** When the window fires (ISO). */
  due_at: string;
  /** Events in the window so far. */
  events: number;
  /** Set by the fire before it publishes `start`: later events open a new window. */
  fired: boolean;
  start: S;
}

export interface DebounceEvent<S> {
  now: Date;
  /** The execution id a new window takes (a fresh id; unused when the event joins a window). */
  executionId: string;
  /** The start command built from this event, for the execution id of the window it ends up in. */
  start: (executionId: string) => S;
}

export interface DebounceDecision<S> {
  window: DebounceWindow<S>;
  /** The event opened a new window (it counts as one execution: its quota unit). */
  opened: boolean;
  /**
   * A window that fired but whose entry is still there: its start may not be published yet (the
   * fire is in progress, or crashed between marking and publishing). Whoever replaces it publishes
   * this start first (de-duplicated by its execution id).
   */
  carried: S | null;
  /** The start this event replaced in a window that has not fired (never published now). */
  superseded: S | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * What an event does to its key's window: absent or fired → a new window (a new execution id, due
 * one period from now); open → the event becomes the window's last (same execution id, this event's
 * start), due min(now + period, first + max_wait). A window whose due time passed but did not fire
 * yet (the fire is on its way) is joined alike: it fires with this event's input.
 */
export function debounceEvent<S>(current: DebounceWindow<S> | null, event: DebounceEvent<S>, policy: DebouncePolicy): DebounceDecision<S> {
  const now = event.now.getTime();
  if (current === null || current.fired) {
    return {
      window: {
        execution_id: event.executionId,
        first_at: iso(now),
        due_at: iso(now + policy.periodMs),
        events: 1,
        fired: false,
        start: event.start(event.executionId),
      },
      opened: true,
      carried: current?.start ?? null,
      superseded: null,
    };
  }
  const latest = Date.parse(current.first_at) + policy.maxWaitMs;
  return {
    window: {
      ...current,
      due_at: iso(Math.min(now + policy.periodMs, latest)),
      events: current.events + 1,
      start: event.start(current.execution_id),
    },
    opened: false,
    carried: null,
    superseded: current.start,
  };
}

/** What a window's schedule does when it arrives (the executor). */
export type DebounceFire =
  /** No window (fired and removed already, a stale schedule): nothing. */
  | { kind: 'none' }
  /** Moved by a later event: set the schedule again for `at`. */
  | { kind: 'later'; at: Date }
  /** Due: mark it fired (compare-and-set), then publish its start and remove it. */
  | { kind: 'fire' }
  /** Marked fired already (a redelivery, or another fire in progress): publish its start (de-duplicated) and remove it. */
  | { kind: 'publish' };

export function debounceFire<S>(current: DebounceWindow<S> | null, now: Date): DebounceFire {
  if (current === null) return { kind: 'none' };
  if (current.fired) return { kind: 'publish' };
  const due = Date.parse(current.due_at);
  if (due > now.getTime()) return { kind: 'later', at: new Date(due) };
  return { kind: 'fire' };
}
