import { startCommand, type DebounceCommand, type StartCommand } from '@flowgate/contracts';
import { createLogger } from '@flowgate/kit';
import type { StoredDebounceWindow, WindowAt } from '@flowgate/store';
import { DebounceFirer, type DebounceFireDeps } from '../src/debounce-fire';
import { FakeClock } from './fakes';

/**
 * The fire of a debounce window (ADR 0022) on an in-memory window with revisions, as NATS KV's
 * compare-and-set behaves: it publishes the window's latest start once (de-duplicated by id), moves
 * an early schedule, loses a race to a joining event without publishing, and a crash at any point
 * is healed by the redelivered command.
 */
const logger = createLogger('debounce-fire-test', 'silent');

class Windows {
  entry: WindowAt | null = null;
  private revision = 0;
  /** Throws once at the named step (a crash there). */
  crashAt: 'remove' | null = null;

  put(window: StoredDebounceWindow): void {
    this.entry = { window, revision: ++this.revision };
  }
  get = (): Promise<WindowAt | null> => Promise.resolve(this.entry ? structuredClone(this.entry) : null);
  markFired = (_ws: string, _wf: string, _t: string, at: WindowAt): Promise<number | null> => {
    if (this.entry?.revision !== at.revision) return Promise.resolve(null);
    this.put({ ...at.window, fired: true });
    return Promise.resolve(this.revision);
  };
  remove = (_ws: string, _wf: string, _t: string, revision: number): Promise<boolean> => {
    if (this.crashAt === 'remove') {
      this.crashAt = null;
      return Promise.reject(new Error('crash before remove'));
    }
    if (this.entry?.revision !== revision) return Promise.resolve(false);
    this.entry = null;
    return Promise.resolve(true);
  };
}

const clock = new FakeClock(Date.parse('2026-12-01T10:00:00.000Z'));
const start = (id: string, n: number): StartCommand =>
  startCommand({
    execution_id: id,
    workspace_id: 'ws1',
    workflow_id: 'wf_1',
    workflow_version: 1,
    trigger_input: { method: 'POST', path: '/h', query: {}, headers: {}, body: { n } },
    accepted_at: clock.now(),
  });
const window = (dueInMs: number, n: number, fired = false): StoredDebounceWindow => ({
  execution_id: 'ex1',
  first_at: clock.now().toISOString(),
  due_at: new Date(clock.now().getTime() + dueInMs).toISOString(),
  events: n,
  fired,
  start: start('ex1', n),
});
const command: DebounceCommand = {
  type: 'debounce',
  workspace_id: 'ws1',
  workflow_id: 'wf_1',
  key_token: 'tok',
  due_at: clock.now().toISOString(),
};

function setUp() {
  const windows = new Windows();
  /** Message ids JetStream stored (a repeat within the window is de-duplicated). */
  const published = new Map<string, StartCommand>();
  const schedules: string[] = [];
  const outcomes: string[] = [];
  const deps: DebounceFireDeps = {
    windows,
    sendStart: (cmd, msgId) => {
      if (!published.has(msgId)) published.set(msgId, cmd);
      return Promise.resolve();
    },
    schedule: (cmd) => {
      schedules.push(cmd.due_at);
      return Promise.resolve();
    },
    logger,
    counted: (outcome) => outcomes.push(outcome),
    now: clock.now,
  };
  return { windows, published, schedules, outcomes, firer: new DebounceFirer(deps) };
}

describe('DebounceFirer', () => {
  it('publishes a due window’s latest start under its execution id and removes the window', async () => {
    const { windows, published, schedules, outcomes, firer } = setUp();
    windows.put(window(0, 3));
    await expect(firer.handle(command)).resolves.toBe('ack');
    expect(outcomes).toEqual(['started']);
    expect([...published.keys()]).toEqual(['ex1']);
    expect(published.get('ex1')?.trigger_input.body).toEqual({ n: 3 });
    expect(windows.entry).toBeNull();
    expect(schedules).toEqual([]);
  });

  it('a schedule that arrives before the window’s due time (moved by a later event) is set again, nothing starts', async () => {
    const { windows, published, schedules, outcomes, firer } = setUp();
    windows.put(window(1_500, 2));
    await firer.handle(command);
    expect(outcomes).toEqual(['moved']);
    expect(published.size).toBe(0);
    expect(schedules).toEqual([new Date(clock.now().getTime() + 1_500).toISOString()]);
    expect(windows.entry?.window.fired).toBe(false);
  });

  it('no window (fired and removed already): nothing', async () => {
    const { published, schedules, outcomes, firer } = setUp();
    await expect(firer.handle(command)).resolves.toBe('ack');
    expect(outcomes).toEqual(['stale']);
    expect(published.size + schedules.length).toBe(0);
  });

  it('an event that joins between the read and the mark wins: the fire decides again on the new window', async () => {
    const { windows, published, schedules, firer } = setUp();
    windows.put(window(0, 1));
    const get = windows.get;
    let first = true;
    windows.get = async () => {
      const read = await get();
      if (first) {
        first = false;
        windows.put(window(1_000, 2)); // the joining event's write, after this read
      }
      return read;
    };
    await firer.handle(command);
    expect(published.size).toBe(0);
    expect(schedules).toHaveLength(1);
    expect(windows.entry?.window.start.trigger_input.body).toEqual({ n: 2 });
  });

  it('a crash after the publish (before the remove): the redelivery publishes again, de-duplicated, and removes', async () => {
    const { windows, published, firer } = setUp();
    windows.put(window(0, 4));
    windows.crashAt = 'remove';
    await expect(firer.handle(command)).rejects.toThrow('crash before remove');
    expect(windows.entry?.window.fired).toBe(true);
    await expect(firer.handle(command)).resolves.toBe('ack');
    expect([...published.keys()]).toEqual(['ex1']);
    expect(windows.entry).toBeNull();
  });

  it('a window marked fired whose start was never published (crash between mark and publish) is published by the redelivery', async () => {
    const { windows, published, firer } = setUp();
    windows.put(window(5_000, 5, true));
    await firer.handle(command);
    expect(published.get('ex1')?.trigger_input.body).toEqual({ n: 5 });
    expect(windows.entry).toBeNull();
  });
});
