import { ApiError } from '@flowgate/contracts';
import { validateDefinition, type TriggerInput, type WorkflowDefinition } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import type { SourceDoc, WorkflowDoc } from '@flowgate/store';
import { matchingSubscribers, resolveSource, startSubscribers, type FanOutDeps } from '../../src/webhook/fan-out';
import { workflow } from './fixtures';

const TOKEN = 'so_abcdefghijklmnopqrstuvwx';
const SOURCE = 'src_orders0001';

const source: SourceDoc = {
  _id: SOURCE,
  workspace_id: 'ws1',
  name: 'orders',
  token_hash: sha256Hex(TOKEN),
  token_sealed: 'sealed',
  created_at: new Date(0),
  updated_at: new Date(0),
};

const input: TriggerInput = { method: 'POST', path: '/', query: {}, headers: {}, body: { type: 'order.created' }, raw: '' };

function subscribing(sourceId: string, filter?: string): WorkflowDefinition {
  const result = validateDefinition({
    name: 'sub',
    trigger: { source: { source_id: sourceId, ...(filter ? { filter } : {}) } },
    steps: [{ id: 'a', type: 'transform', expression: '1' }],
  });
  if (!result.ok) throw new Error(`invalid test definition: ${JSON.stringify(result)}`);
  return result.definition;
}

/** A starter whose workflows run the given definitions; `refuse` maps a workflow to the error its start throws. */
function deps(definitions: Record<string, WorkflowDefinition>, refuse: Record<string, Error> = {}) {
  const warned: string[] = [];
  const started: string[] = [];
  const d: FanOutDeps = {
    starter: {
      published: (w) => {
        const definition = definitions[w._id];
        return definition ? Promise.resolve({ definition }) : Promise.reject(new Error(`no definition for ${w._id}`));
      },
      start: (w) => {
        const refusal = refuse[w._id];
        if (refusal) return Promise.reject(refusal);
        started.push(w._id);
        return Promise.resolve({ executionId: `ex-${w._id}`, statusUrl: `http://status/${w._id}` });
      },
    },
    logger: { warn: (fields) => void warned.push(String(fields.workflow_id)) },
  };
  return { deps: d, warned, started };
}

describe('fan-out stage "resolve"', () => {
  it("finds the token's source by its hash; a malformed token is refused without a look-up", async () => {
    const reads: string[] = [];
    const config = {
      source: (hash: string) => {
        reads.push(hash);
        return Promise.resolve(hash === sha256Hex(TOKEN) ? source : null);
      },
    };
    await expect(resolveSource(config, TOKEN)).resolves.toBe(source);
    await expect(resolveSource(config, '{"$gt":""}')).rejects.toMatchObject({
      reason: 'unknown_source',
      code: 'source_not_found',
      status: 404,
    });
    expect(reads).toEqual([sha256Hex(TOKEN)]);
    await expect(resolveSource(config, 'so_unknown0000000000000000')).rejects.toMatchObject({
      reason: 'unknown_source',
      message: 'Source not found',
    });
  });
});

describe('fan-out stage "start"', () => {
  const wf = (id: string): WorkflowDoc => workflow({ _id: id });

  it('matches enabled subscribers whose latest version names the source and whose filter holds; a failing filter is no match', async () => {
    const { deps: d, warned } = deps({
      all: subscribing(SOURCE),
      created: subscribing(SOURCE, 'trigger.body.type = "order.created"'),
      deleted: subscribing(SOURCE, 'trigger.body.type = "order.deleted"'),
      broken: subscribing(SOURCE, '$number("x") + 1'),
      moved: subscribing('src_elsewhere01'),
      off: subscribing(SOURCE),
    });
    const subscribers = { workflows: ['all', 'created', 'deleted', 'broken', 'moved', 'off'].map(wf), disabled: new Set(['off']) };
    const matching = await matchingSubscribers(d, source, subscribers, input);
    expect(matching.map((w) => w._id)).toEqual(['all', 'created']);
    expect(warned).toEqual(['broken']);
  });

  it('starts every match and reports a failed start beside the accepted ones', async () => {
    const { deps: d, started } = deps({}, { b: new ApiError('quota_exceeded', 'over'), c: new Error('bug') });
    await expect(startSubscribers(d, [wf('a'), wf('b'), wf('c')], input)).resolves.toEqual({
      executions: [{ workflow_id: 'a', execution_id: 'ex-a', status_url: 'http://status/a' }],
      errors: [
        { workflow_id: 'b', code: 'quota_exceeded', message: 'over' },
        { workflow_id: 'c', code: 'internal', message: 'Internal error' },
      ],
    });
    expect(started).toEqual(['a']);
  });

  it('refuses with the first failure when no start was accepted, and answers no match with no execution', async () => {
    const first = new ApiError('dependency_unavailable', 'down');
    const { deps: d } = deps({}, { a: first, b: new ApiError('quota_exceeded', 'over') });
    await expect(startSubscribers(d, [wf('a'), wf('b')], input)).rejects.toBe(first);
    await expect(startSubscribers(d, [], input)).resolves.toEqual({ executions: [], errors: [] });
  });
});
