import { arrive, EMPTY_SLOTS, leave, promoteWaiting, type SlotQueue } from '../src/slots';

describe('slot queue', () => {
  it('runs arrivals while slots are free, then queues them in arrival order', () => {
    let q: SlotQueue = EMPTY_SLOTS;
    const runs: boolean[] = [];
    for (const id of ['a', 'b', 'c', 'd']) {
      const r = arrive(q, id, 2);
      q = r.queue;
      runs.push(r.runs);
    }
    expect(runs).toEqual([true, true, false, false]);
    expect(q).toEqual({ running: ['a', 'b'], waiting: ['c', 'd'] });
  });

  it('is safe to repeat: a holder still runs, a waiting one still waits, nothing changes', () => {
    const q = { running: ['a'], waiting: ['b'] };
    expect(arrive(q, 'a', 1)).toEqual({ queue: q, runs: true, promoted: [], changed: false });
    expect(arrive(q, 'b', 1)).toEqual({ queue: q, runs: false, promoted: [], changed: false });
  });

  it('never lets a newcomer overtake those waiting, even with a slot free', () => {
    const q = { running: [], waiting: ['old'] };
    const r = arrive(q, 'new', 1);
    expect(r.runs).toBe(false);
    expect(r.promoted).toEqual(['old']);
    expect(r.queue).toEqual({ running: ['old'], waiting: ['new'] });
  });

  it('hands a freed slot to the oldest waiting execution', () => {
    const r = leave({ running: ['a', 'b'], waiting: ['c', 'd'] }, 'a', 2);
    expect(r.promoted).toEqual(['c']);
    expect(r.queue).toEqual({ running: ['b', 'c'], waiting: ['d'] });
  });

  it('removes a waiting execution that ended (cancelled) without promoting anyone else', () => {
    const r = leave({ running: ['a'], waiting: ['b', 'c'] }, 'b', 1);
    expect(r).toEqual({ queue: { running: ['a'], waiting: ['c'] }, promoted: [], changed: true });
    expect(leave(r.queue, 'zzz', 1).changed).toBe(false);
  });

  it('fills every slot a raised cap frees', () => {
    expect(promoteWaiting({ running: ['a'], waiting: ['b', 'c', 'd'] }, 3)).toEqual({
      queue: { running: ['a', 'b', 'c'], waiting: ['d'] },
      promoted: ['b', 'c'],
    });
  });
});
