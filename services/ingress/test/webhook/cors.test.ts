import { corsAnswer, type CorsRequest } from '../../src/webhook/cors';
import { webhookWith } from './fixtures';

const request = (over: Partial<CorsRequest> = {}): CorsRequest => ({
  method: 'POST',
  origin: 'https://app.example',
  requestMethod: undefined,
  requestHeaders: undefined,
  ...over,
});

describe('stage "CORS"', () => {
  const webhook = webhookWith({ methods: ['POST', 'OPTIONS'], cors: { allow_origins: ['https://app.example'] } });

  it('does nothing for a webhook without a cors config (an OPTIONS then runs the workflow)', () => {
    expect(corsAnswer(webhookWith({ methods: ['POST', 'OPTIONS'] }), request({ method: 'OPTIONS', requestMethod: 'POST' }))).toBeNull();
  });

  it('answers a preflight itself, before authentication', () => {
    const answer = corsAnswer(webhook, request({ method: 'OPTIONS', requestMethod: 'POST', requestHeaders: 'content-type' }));
    expect(answer?.preflight).toBe(true);
    expect(answer?.headers['Access-Control-Allow-Origin']).toBe('https://app.example');
  });

  it('marks a real request readable by an allowed origin, and not by another', () => {
    expect(corsAnswer(webhook, request())).toMatchObject({
      preflight: false,
      headers: { 'Access-Control-Allow-Origin': 'https://app.example' },
    });
    const other = corsAnswer(webhook, request({ origin: 'https://evil.example' }));
    expect(other?.preflight).toBe(false);
    expect(other?.headers['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it('takes an OPTIONS without Access-Control-Request-Method for a real request', () => {
    expect(corsAnswer(webhook, request({ method: 'OPTIONS' }))?.preflight).toBe(false);
  });
});
