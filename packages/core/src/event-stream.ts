/**
 * Event ids of an execution's server-sent event stream, so a client that reconnects with
 * `Last-Event-ID` gets exactly what it missed. Every event id is the whole cursor `<revision>.<steps>`:
 * the revision of the last `execution` snapshot sent and how many finished step attempts were sent
 * as `step` events. Step attempts run one after another, so the finished ones are a prefix of the
 * execution's step list; snapshots are ordered by the execution's revision.
 */
export interface EventCursor {
  revision: number;
  steps: number;
}

export const START_CURSOR: EventCursor = { revision: -1, steps: 0 };

const EVENT_ID = /^(\d{1,9})\.(\d{1,6})$/;

export function formatEventId(cursor: EventCursor): string {
  return `${cursor.revision}.${cursor.steps}`;
}

/** The cursor of a `Last-Event-ID`; a missing or foreign one starts from the beginning. */
export function parseEventId(id: string | undefined): EventCursor {
  const m = EVENT_ID.exec(id?.trim() ?? '');
  return m ? { revision: Number(m[1]), steps: Number(m[2]) } : START_CURSOR;
}

const UNFINISHED = new Set(['running', 'waiting']);

/** How many step attempts, from the first, have finished. */
export function finishedStepCount(statuses: readonly string[]): number {
  const open = statuses.findIndex((s) => UNFINISHED.has(s));
  return open === -1 ? statuses.length : open;
}

export type PlannedEvent = { kind: 'step'; index: number; id: string } | { kind: 'execution'; id: string };

/**
 * The events to send for a snapshot (its revision and its step attempts' statuses) after `cursor`:
 * first each newly finished step attempt, then the snapshot itself if it is newer. Returns the
 * events and the cursor after them.
 */
export function planEvents(
  cursor: EventCursor,
  revision: number,
  stepStatuses: readonly string[],
): { events: PlannedEvent[]; cursor: EventCursor } {
  const events: PlannedEvent[] = [];
  let next = cursor;
  const finished = finishedStepCount(stepStatuses);
  for (let index = cursor.steps; index < finished; index++) {
    next = { revision: next.revision, steps: index + 1 };
    events.push({ kind: 'step', index, id: formatEventId(next) });
  }
  if (revision > next.revision) {
    next = { revision, steps: next.steps };
    events.push({ kind: 'execution', id: formatEventId(next) });
  }
  return { events, cursor: next };
}
