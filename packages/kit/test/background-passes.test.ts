import { BackgroundPasses, type BackgroundPassesOptions } from '../src/background-passes';

/** A worker whose pass is `run`. */
class Worker extends BackgroundPasses {
  constructor(
    opts: BackgroundPassesOptions,
    private readonly run: () => Promise<boolean>,
  ) {
    super(opts);
  }

  protected look(): Promise<boolean> {
    return this.run();
  }
}

/** Leased background passes: they look for work only when told of some, after finding some, or once per idle period. */
describe('background passes', () => {
  const make = (found: boolean[]) => {
    let clock = 0;
    let leading = true;
    const runs: number[] = [];
    const passes = new Worker(
      { leading: () => leading, intervalMs: 1_000, idleMs: 60_000, onError: () => undefined, now: () => clock },
      () => {
        runs.push(clock);
        return Promise.resolve(found.shift() ?? false);
      },
    );
    return {
      passes,
      runs,
      at: (ms: number) => (clock = ms),
      lead: (on: boolean) => (leading = on),
    };
  };

  it('looks at the first pass, again while it finds work, then only once per idle period or when kicked', async () => {
    const w = make([true, true, false]);
    await w.passes.pass(); // first: looks, finds work
    await w.passes.pass(); // found work: looks again
    await w.passes.pass(); // found work: looks again, finds none
    w.at(1_000);
    await w.passes.pass(); // idle: no query
    w.at(30_000);
    await w.passes.pass();
    expect(w.runs).toEqual([0, 0, 0]);
    w.passes.kick(); // told of work
    await w.passes.pass();
    expect(w.runs).toEqual([0, 0, 0, 30_000]);
    w.at(90_001);
    await w.passes.pass(); // the idle safety net
    expect(w.runs).toEqual([0, 0, 0, 30_000, 90_001]);
  });

  it('does nothing without the lease and keeps a kick for when it holds it; a failed pass is retried', async () => {
    const w = make([]);
    w.lead(false);
    await w.passes.pass();
    w.passes.kick();
    await w.passes.pass();
    expect(w.runs).toEqual([]);
    w.lead(true);
    await w.passes.pass();
    expect(w.runs).toEqual([0]);

    let fail = true;
    const failing = new Worker({ intervalMs: 1_000, idleMs: 60_000, onError: () => undefined, now: () => 0 }, () =>
      fail ? Promise.reject(new Error('db away')) : Promise.resolve(false),
    );
    await expect(failing.pass()).rejects.toThrow('db away');
    fail = false;
    await expect(failing.pass()).resolves.toBeUndefined(); // looked again at once
  });
});
