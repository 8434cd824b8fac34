import type { TriggerInput } from '@flowgate/core';
import { mayCaptureUnpublished, withParameters } from '../../src/webhook/input';
import { hook, trigger, webhookWith, workflow } from './fixtures';

const input = (body: unknown): TriggerInput => ({ method: 'POST', path: '/hooks/x', query: {}, headers: {}, body });

describe('stage "read input"', () => {
  const webhook = webhookWith({ parameters: { order_id: { type: 'string', required: true }, amount: { type: 'number' } } });

  it("resolves the webhook's parameters into trigger.params", () => {
    const i = input({ order_id: 'o-1', amount: 5 });
    withParameters(webhook, i);
    expect(i.params).toEqual({ order_id: 'o-1', amount: 5 });
  });

  it('passes the whole body as the body parameter', () => {
    const i = input({ a: 1 });
    withParameters(webhookWith({ body_parameter: 'payload' }), i);
    expect(i.params).toEqual({ payload: { a: 1 } });
  });

  it('leaves the input alone for a webhook without parameters', () => {
    const i = input({ a: 1 });
    withParameters(webhookWith({}), i);
    expect(i).not.toHaveProperty('params');
  });

  it('refuses missing or mistyped parameters with 400 and which ones (reason parameters)', () => {
    expect(() => withParameters(webhook, input({}))).toThrow(
      expect.objectContaining({ reason: 'parameters', code: 'missing_parameters', status: 400 }),
    );
    expect(() => withParameters(webhook, input({ order_id: 'o', amount: 'five' }))).toThrow(
      expect.objectContaining({ reason: 'parameters', code: 'invalid_parameters' }),
    );
  });

  it('looks for a parameter capture only on a webhook with no version to run and an open window', () => {
    const open = trigger({ capture_until: new Date(Date.now() + 60_000) });
    const unpublished = workflow({ published_version: null });
    expect(mayCaptureUnpublished(hook({ trigger: open, workflow: unpublished }))).toBe(true);
    expect(mayCaptureUnpublished(hook({ trigger: open, workflow: unpublished, environment: 'development' }))).toBe(false);
    expect(mayCaptureUnpublished(hook({ trigger: open, workflow: workflow() }))).toBe(false);
    expect(mayCaptureUnpublished(hook({ trigger: trigger({ capture_until: new Date(0) }), workflow: unpublished }))).toBe(false);
  });
});
