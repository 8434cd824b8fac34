import { redactSensitive } from '../src/capture';
import { deadLetterCommandView } from '../src/dead-letters';

describe('dead letter command view', () => {
  it('redacts credential-like keys at any depth, and a trigger input raw body', () => {
    const start = {
      type: 'start',
      execution_id: 'ex-1',
      workspace_id: 'ws1',
      trigger_input: {
        method: 'POST',
        path: '/hooks/x',
        query: { page: '2', access_token: 'q-secret' },
        headers: {
          authorization: 'Bearer a',
          'x-api-key': 'k',
          cookie: 'c=1',
          'x-hub-signature-256': 's',
          'content-type': 'application/json',
        },
        body: { order: 7, password: 'p', nested: [{ client_secret: 'cs', keep: true }] },
        raw: '{"order":7,"password":"p"}',
      },
    };
    const view = deadLetterCommandView(JSON.stringify(start));
    expect(view.execution_id).toBe('ex-1');
    expect(view.command).toEqual({
      ...start,
      trigger_input: {
        method: 'POST',
        path: '/hooks/x',
        query: { page: '2', access_token: '[redacted]' },
        headers: {
          authorization: '[redacted]',
          'x-api-key': '[redacted]',
          cookie: '[redacted]',
          'x-hub-signature-256': '[redacted]',
          'content-type': 'application/json',
        },
        body: { order: 7, password: '[redacted]', nested: [{ client_secret: '[redacted]', keep: true }] },
        raw: '[redacted]',
      },
    });
    expect(JSON.stringify(view.command)).not.toMatch(/Bearer|q-secret|"p"|cs|c=1/);
  });

  it('withholds a body that is not JSON and reads no execution id from other values', () => {
    expect(deadLetterCommandView('{not json')).toEqual({ command: null, execution_id: null });
    expect(deadLetterCommandView('[1,{"token":"t"}]')).toEqual({ command: [1, { token: '[redacted]' }], execution_id: null });
    expect(deadLetterCommandView('{"execution_id":42}')).toEqual({ command: { execution_id: 42 }, execution_id: null });
    expect(redactSensitive('plain')).toBe('plain');
  });
});
