import { ApiError, startCommand, type DebounceCommand, type StartCommand } from '@flowgate/contracts';
import type { DebounceDecision, TriggerInput } from '@flowgate/core';
import { createLogger } from '@flowgate/kit';
import type { StoredDebounceWindow } from '@flowgate/store';
import type { Claim } from '../../src/idempotency';
import type { RunTarget } from '../../src/run-targets';
import { debounceWebhook, type DebounceDeps } from '../../src/webhook/debounce';
import { definitionWith, workflow } from './fixtures';

/**
 * Stage "start" of a debounced webhook (ADR 0022) on fakes: a window that opens counts one quota
 * unit, joining costs none (and a lost race to open gives the unit back), a fired window's start is
 * published before it is replaced, idempotent repeats do not join again, and a schedule that could
 * not be set is a 503.
 */
const logger = createLogger('debounce-stage-test', 'silent');
const definition = definitionWith({ debounce: { key: 'trigger.body.customer', period_s: 2 } });
const config = { key: 'trigger.body.customer', period_s: 2 };
const target: RunTarget = { environment: 'production', version: 1, definition, draftId: null };
const input = (n: number): TriggerInput => ({ method: 'POST', path: '/h', query: {}, headers: {}, body: { customer: 'acme', n } });

/** One window in memory; `interleave` holds what "another replica" writes between this event's read and its write. */
class FakeWindows {
  window: StoredDebounceWindow | null = null;
  interleave: StoredDebounceWindow[] = [];
  async event(
    _ws: string,
    _wf: string,
    _token: string,
    decide: (current: StoredDebounceWindow | null) => DebounceDecision<StartCommand>,
    beforeWrite: (d: DebounceDecision<StartCommand>) => Promise<void>,
  ): Promise<DebounceDecision<StartCommand>> {
    for (;;) {
      const decision = decide(this.window);
      await beforeWrite(decision);
      const other = this.interleave.shift();
      if (other !== undefined) {
        this.window = other; // the compare-and-set lost: decide again on what the other wrote
        continue;
      }
      this.window = decision.window;
      return decision;
    }
  }
}

function setUp(opts: { quotaLeft?: number; scheduleFails?: boolean } = {}) {
  const windows = new FakeWindows();
  const log: string[] = [];
  const schedules: DebounceCommand[] = [];
  let quotaLeft = opts.quotaLeft ?? Infinity;
  const deps: DebounceDeps = {
    starter: {
      statusUrl: (id) => `https://fg/v1/executions/${id}`,
      prepare: (_wf, triggerInput) =>
        Promise.resolve({
          workspaceId: 'ws1',
          definition,
          acceptedAt: new Date(),
          command: (executionId: string) =>
            startCommand({
              execution_id: executionId,
              workspace_id: 'ws1',
              workflow_id: 'wf1',
              workflow_version: 1,
              trigger_input: triggerInput,
              accepted_at: new Date(),
            }),
        }),
      reserveQuota: () => {
        if (quotaLeft <= 0) return Promise.reject(new ApiError('quota_exceeded', 'used up'));
        quotaLeft--;
        log.push('reserve');
        return Promise.resolve({
          release: () => {
            quotaLeft++;
            log.push('release');
            return Promise.resolve();
          },
        });
      },
    },
    debounce: {
      windows,
      removePayload: (id) => {
        log.push(`remove:${id}`);
        return Promise.resolve();
      },
      messages: {
        publishStart: (cmd) => {
          log.push(`publish:${cmd.execution_id}`);
          return Promise.resolve();
        },
        schedule: (cmd) => {
          if (opts.scheduleFails) return Promise.reject(new Error('no ack'));
          schedules.push(cmd);
          return Promise.resolve();
        },
      },
    },
    idempotency: {
      accepted: (claim) => {
        log.push(`accepted:${claim.executionId}`);
        return Promise.resolve();
      },
    },
    logger,
  };
  const event = (n: number, claim: Claim | null = null) => debounceWebhook(deps, config, workflow(), input(n), claim, target);
  return { windows, log, schedules, event };
}

describe('stage "start" of a debounced webhook', () => {
  it('the first event opens a window (one quota unit), later ones join it (none): one id, the last input, the schedule moved', async () => {
    const { windows, log, schedules, event } = setUp();
    const first = await event(1);
    const second = await event(2);
    expect(first).toMatchObject({ debounced: true, statusUrl: `https://fg/v1/executions/${first.executionId}` });
    expect(second.executionId).toBe(first.executionId);
    expect(log).toEqual(['reserve']);
    expect(windows.window?.start.trigger_input.body).toEqual({ customer: 'acme', n: 2 });
    expect(windows.window?.events).toBe(2);
    expect(schedules).toHaveLength(2);
    expect(schedules[1]).toMatchObject({ type: 'debounce', workspace_id: 'ws1', workflow_id: 'wf1', due_at: windows.window?.due_at });
    expect(schedules[0]?.key_token).toBe(schedules[1]?.key_token);
  });

  it('an event that lost the race to open a window joins the winner’s and gives its quota unit back', async () => {
    const other = setUp();
    await other.event(9);
    const winner = other.windows.window;
    if (!winner) throw new Error('no window');
    const { windows, log, event } = setUp();
    windows.interleave.push(winner);
    const joined = await event(1);
    expect(joined.executionId).toBe(winner.execution_id);
    expect(log).toEqual(['reserve', 'release']);
    expect(windows.window?.start.trigger_input.body).toEqual({ customer: 'acme', n: 1 });
  });

  it('a fired window still in place: its start is published (de-duplicated) before a new window replaces it', async () => {
    const { windows, log, event } = setUp();
    const first = await event(1);
    if (!windows.window) throw new Error('no window');
    windows.window = { ...windows.window, fired: true };
    const next = await event(2);
    expect(next.executionId).not.toBe(first.executionId);
    expect(log).toEqual(['reserve', `publish:${first.executionId}`, 'reserve']);
  });

  it('quota used up: 429 opens nothing, but an open window still takes events', async () => {
    const { windows, schedules, event } = setUp({ quotaLeft: 1 });
    const open = await event(1);
    await expect(event(2)).resolves.toMatchObject({ executionId: open.executionId });
    windows.window = null; // the window fired and is gone: the next event would be a new execution
    await expect(event(3)).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect(windows.window).toBeNull();
    expect(schedules).toHaveLength(2);
  });

  it('idempotency: a first claim runs under the window’s id and is marked with it; an accepted repeat does not join', async () => {
    const { windows, log, event } = setUp();
    const opened = await event(1);
    const claim: Claim = { key: 'k', executionId: 'claim-id', replayed: false, accepted: false, claimedAt: new Date(), revision: 1 };
    const joined = await event(2, claim);
    expect(joined.executionId).toBe(opened.executionId);
    expect(log).toContain(`accepted:${opened.executionId}`);
    const repeat = await event(3, { ...claim, executionId: opened.executionId, replayed: true, accepted: true });
    expect(repeat).toMatchObject({ executionId: opened.executionId, debounced: true });
    expect(windows.window?.start.trigger_input.body).toEqual({ customer: 'acme', n: 2 });
  });

  it('a schedule that could not be set answers 503 (the caller retries; its retry joins and sets it)', async () => {
    const { event } = setUp({ scheduleFails: true });
    await expect(event(1)).rejects.toMatchObject({ code: 'dependency_unavailable' });
  });
});
