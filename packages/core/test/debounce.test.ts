import {
  debounceEvent,
  debounceFire,
  debouncePolicyOf,
  validateDefinition,
  type DebounceDecision,
  type DebounceWindow,
  type DebouncePolicy,
} from '../src';

/** A start "command" of the test: which event, under which execution id. */
interface Start {
  id: string;
  event: number;
}

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const policy: DebouncePolicy = { periodMs: 5_000, maxWaitMs: 20_000 };

/** Event `n` at second `s`, against the window `current`. */
function event(current: DebounceWindow<Start> | null, n: number, s: number, p = policy): DebounceDecision<Start> {
  return debounceEvent(current, { now: at(s), executionId: `ex${n}`, start: (id) => ({ id, event: n }) }, p);
}

describe('debounceEvent', () => {
  it('opens a window due one period after a first event, under a new execution id', () => {
    const d = event(null, 1, 0);
    expect(d.opened).toBe(true);
    expect(d.carried).toBeNull();
    expect(d.superseded).toBeNull();
    expect(d.window).toEqual({
      execution_id: 'ex1',
      first_at: at(0).toISOString(),
      due_at: at(5).toISOString(),
      events: 1,
      fired: false,
      start: { id: 'ex1', event: 1 },
    });
  });

  it('later events join the window: same execution id, the last event’s start, due one period after it', () => {
    let w = event(null, 1, 0).window;
    for (const [n, s] of [
      [2, 1],
      [3, 2.5],
      [4, 4],
    ] as const) {
      const d = event(w, n, s);
      expect(d.opened).toBe(false);
      expect(d.superseded).toEqual(w.start);
      w = d.window;
    }
    expect(w.execution_id).toBe('ex1');
    expect(w.start).toEqual({ id: 'ex1', event: 4 });
    expect(w.events).toBe(4);
    expect(w.due_at).toBe(at(9).toISOString());
    expect(w.first_at).toBe(at(0).toISOString());
  });

  it('max_wait bounds a steady stream: due at the latest max_wait after the first event', () => {
    let w = event(null, 1, 0).window;
    for (let n = 2; n <= 12; n++) w = event(w, n, (n - 1) * 2).window; // every 2 s, period 5 s
    expect(w.due_at).toBe(at(20).toISOString());
    expect(w.start.event).toBe(12);
  });

  it('an event after the fire (entry still marked fired) opens a new window and carries the fired start', () => {
    const w = event(null, 1, 0).window;
    const d = event({ ...w, fired: true }, 2, 6);
    expect(d.opened).toBe(true);
    expect(d.window.execution_id).toBe('ex2');
    expect(d.window.start).toEqual({ id: 'ex2', event: 2 });
    expect(d.carried).toEqual({ id: 'ex1', event: 1 });
  });

  it('an event on a window past its due time that has not fired yet joins it (it fires with this input)', () => {
    const w = event(null, 1, 0).window;
    const d = event(w, 2, 7);
    expect(d.opened).toBe(false);
    expect(d.window.execution_id).toBe('ex1');
    expect(d.window.due_at).toBe(at(12).toISOString());
    // Past max_wait: due at once.
    expect(event(w, 3, 30).window.due_at).toBe(at(20).toISOString());
  });
});

describe('debounceFire', () => {
  const w = event(null, 1, 0).window;
  it('decides from the stored window only', () => {
    expect(debounceFire(null, at(5))).toEqual({ kind: 'none' });
    expect(debounceFire(w, at(4.9))).toEqual({ kind: 'later', at: at(5) });
    expect(debounceFire(w, at(5))).toEqual({ kind: 'fire' });
    expect(debounceFire({ ...w, fired: true }, at(1))).toEqual({ kind: 'publish' });
  });
  it('a schedule from an earlier event arrives early and sets the later one again', () => {
    const moved = event(w, 2, 3).window;
    expect(debounceFire(moved, at(5))).toEqual({ kind: 'later', at: at(8) });
  });
});

describe('debouncePolicyOf', () => {
  it('defaults max_wait to ten periods, at most 7 days', () => {
    expect(debouncePolicyOf({ key: 'k', period_s: 2 })).toEqual({ periodMs: 2_000, maxWaitMs: 20_000 });
    expect(debouncePolicyOf({ key: 'k', period_s: 86_400 })).toEqual({ periodMs: 86_400_000, maxWaitMs: 7 * 86_400_000 });
    expect(debouncePolicyOf({ key: 'k', period_s: 1, max_wait_s: 3 })).toEqual({ periodMs: 1_000, maxWaitMs: 3_000 });
  });
});

describe('trigger.webhook.debounce in a definition', () => {
  const def = (debounce: unknown) => ({
    name: 'd',
    trigger: { webhook: { debounce } },
    steps: [{ id: 'a', type: 'transform', expression: '1' }],
  });
  it('is accepted with a key and a period', () => {
    const r = validateDefinition(def({ key: 'trigger.body.customer', period_s: 2, max_wait_s: 10 }));
    expect(r.ok).toBe(true);
  });
  it('an invalid key expression is invalid_expression at its path', () => {
    const r = validateDefinition(def({ key: 'trigger.body.(', period_s: 2 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([expect.objectContaining({ path: 'trigger.webhook.debounce.key', code: 'invalid_expression' })]);
  });
  it('unknown fields, a missing period and max_wait below the period are refused at their paths', () => {
    const r = validateDefinition(def({ key: 'trigger.body.c', period_s: 2, max_wait: 5 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([{ path: 'trigger.webhook.debounce.max_wait', code: 'unrecognized_keys', message: 'unknown field' }]);
    const missing = validateDefinition(def({ key: 'trigger.body.c' }));
    expect(missing.ok ? [] : missing.issues.map((i) => i.path)).toEqual(['trigger.webhook.debounce.period_s']);
    const below = validateDefinition(def({ key: 'trigger.body.c', period_s: 5, max_wait_s: 1 }));
    expect(below.ok ? [] : below.issues.map((i) => i.path)).toEqual(['trigger.webhook.debounce.max_wait_s']);
  });
});
