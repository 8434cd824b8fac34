import type { TriggerInput } from '@flowgate/core';
import { DEDUP_SAFE_MS, type Claim } from '../../src/idempotency';
import type { RunTarget } from '../../src/run-targets';
import type { Started } from '../../src/starter';
import { startExecution, type StartDeps } from '../../src/webhook/start';
import { definitionWith, workflow } from './fixtures';

const definition = definitionWith({});
const target: RunTarget = { environment: 'production', version: 1, definition, draftId: null };
const input: TriggerInput = { method: 'POST', path: '/h', query: {}, headers: {}, body: null };

function deps(live: string[] = []) {
  const calls: string[] = [];
  const d: StartDeps = {
    starter: {
      statusUrl: (id) => `https://fg/v1/executions/${id}`,
      start: (_wf, _input, _replayOf, executionId) => {
        calls.push(`start:${executionId ?? 'new'}`);
        return Promise.resolve<Started>({ executionId: executionId ?? 'fresh', statusUrl: 'u', definition });
      },
    },
    live: {
      get: (_ws, id) => {
        calls.push(`live:${id}`);
        return Promise.resolve(live.includes(id) ? { id } : null);
      },
    },
    idempotency: {
      accepted: (claim) => {
        calls.push(`accepted:${claim.executionId}`);
        return Promise.resolve();
      },
    },
  };
  return { d, calls };
}

const claim = (over: Partial<Claim>): Claim => ({
  key: 'k',
  executionId: 'ex-1',
  replayed: false,
  accepted: false,
  claimedAt: new Date(),
  revision: 1,
  ...over,
});

describe('stage "start"', () => {
  it('starts a new execution when there is no key', async () => {
    const { d, calls } = deps();
    await expect(startExecution(d, workflow(), input, null, target)).resolves.toMatchObject({ executionId: 'fresh' });
    expect(calls).toEqual(['start:new']);
  });

  it("starts a first claim under the claim's execution id and leaves the marking to a repeat (no round trip)", async () => {
    const { d, calls } = deps();
    await startExecution(d, workflow(), input, claim({}), target);
    expect(calls).toEqual(['start:ex-1']);
  });

  it('answers a replay whose start was acknowledged with the earlier execution, starting nothing', async () => {
    const { d, calls } = deps();
    const started = await startExecution(d, workflow(), input, claim({ replayed: true, accepted: true }), target);
    expect(started).toEqual({ executionId: 'ex-1', statusUrl: 'https://fg/v1/executions/ex-1', definition });
    expect(calls).toEqual([]);
  });

  it('publishes an unmarked replay again within the de-duplication window, then marks it', async () => {
    const { d, calls } = deps();
    await startExecution(d, workflow(), input, claim({ replayed: true }), target);
    expect(calls).toEqual(['start:ex-1', 'accepted:ex-1']);
  });

  it('past the window, starts an unmarked replay again only if no execution was recorded; marks it either way', async () => {
    const old = new Date(Date.now() - DEDUP_SAFE_MS - 1_000);
    const recorded = deps(['ex-1']);
    await startExecution(recorded.d, workflow(), input, claim({ replayed: true, claimedAt: old }), target);
    expect(recorded.calls).toEqual(['live:ex-1', 'accepted:ex-1']);
    const lost = deps();
    await startExecution(lost.d, workflow(), input, claim({ replayed: true, claimedAt: old }), target);
    expect(lost.calls).toEqual(['live:ex-1', 'start:ex-1', 'accepted:ex-1']);
  });
});
