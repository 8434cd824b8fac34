import { capturedRequestOf, captureStatusOf, isSensitiveName } from '../src/capture';

describe('parameter capture', () => {
  it('strips credential-like headers and query values, and the named auth headers', () => {
    const captured = capturedRequestOf(
      {
        method: 'POST',
        path: '/hooks/wh_x',
        query: { page: '1', access_token: 'secret', api_key: 'k' },
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': 's', 'x-api-key': 'k', 'x-shared': 's', 'webhook-id': 'm' },
        body: { a: 1 },
        raw: '{"a":1}',
      },
      ['X-Shared'],
    );
    expect(captured).toEqual({ method: 'POST', query: { page: '1' }, headers: { 'content-type': 'application/json' }, body: { a: 1 } });
    expect(isSensitiveName('Authorization')).toBe(true);
    expect(isSensitiveName('user-agent')).toBe(false);
  });

  it('is listening until the window closes, then expired; captured once a request came', () => {
    const expires_at = new Date('2030-01-01T00:03:00Z');
    expect(captureStatusOf({ captured_at: null, expires_at }, new Date('2030-01-01T00:02:59Z'))).toBe('listening');
    expect(captureStatusOf({ captured_at: null, expires_at }, new Date('2030-01-01T00:03:00Z'))).toBe('expired');
    expect(captureStatusOf({ captured_at: new Date('2030-01-01T00:01:00Z'), expires_at }, new Date('2030-01-02T00:00:00Z'))).toBe(
      'captured',
    );
  });
});
