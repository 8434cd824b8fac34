import { authPlaceholderHeaders, curlLine } from '../src/curl';

describe('curlLine', () => {
  it('posts sample JSON with a Content-Type and no credentials', () => {
    expect(curlLine('https://fg.test/hooks/wh_1', 'POST')).toBe(
      `curl -X POST 'https://fg.test/hooks/wh_1' -H 'Content-Type: application/json' -d '{"hello":"world"}'`,
    );
  });
  it('sends no body for GET and adds auth placeholders', () => {
    expect(curlLine('https://fg.test/hooks/wh_1', 'GET', { Authorization: 'Bearer <token>' })).toBe(
      `curl -X GET 'https://fg.test/hooks/wh_1' -H 'Authorization: Bearer <token>'`,
    );
  });
  it('quotes for the shell', () => {
    expect(curlLine("https://fg.test/it's", 'POST', {})).toContain(`'https://fg.test/it'\\''s'`);
  });
});

describe('authPlaceholderHeaders', () => {
  it('has a placeholder per method, never a value', () => {
    expect(authPlaceholderHeaders(undefined)).toEqual({});
    expect(authPlaceholderHeaders({ type: 'none' })).toEqual({});
    expect(authPlaceholderHeaders({ type: 'bearer' })).toEqual({ Authorization: 'Bearer <token>' });
    expect(authPlaceholderHeaders({ type: 'header', header: 'X-Api-Key' })).toEqual({ 'X-Api-Key': '<secret>' });
    expect(authPlaceholderHeaders({ type: 'hmac', header: 'X-Hub-Signature-256', prefix: 'sha256=', encoding: 'hex' })).toEqual({
      'X-Hub-Signature-256': 'sha256=<hex HMAC of the body>',
    });
    expect(Object.keys(authPlaceholderHeaders([{ type: 'standard_webhooks' }, { type: 'bearer' }]))).toEqual([
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
      'Authorization',
    ]);
  });
});
