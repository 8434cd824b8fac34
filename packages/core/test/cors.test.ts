import { allowedOrigin, corsResponseHeaders, corsSchema, isPreflight, preflightHeaders } from '../src/cors';

const cors = (input: unknown) => corsSchema.parse(input);

describe('corsSchema', () => {
  it('takes "*" or a list of http(s) origins, with a default max age', () => {
    expect(cors({ allow_origins: '*' }).max_age_s).toBe(600);
    expect(corsSchema.safeParse({ allow_origins: ['https://app.example.com'] }).success).toBe(true);
    for (const bad of [
      { allow_origins: [] },
      { allow_origins: ['javascript:alert(1)'] },
      { allow_origins: '*', allow_headers: ['bad header'] },
      { allow_origins: '*', extra: 1 },
    ])
      expect(corsSchema.safeParse(bad).success).toBe(false);
  });
});

describe('allowedOrigin', () => {
  const list = cors({ allow_origins: ['https://app.example.com', 'http://localhost:3000/'] });
  it('echoes a listed origin, compared as scheme://host:port', () => {
    expect(allowedOrigin(list, 'https://app.example.com')).toBe('https://app.example.com');
    expect(allowedOrigin(list, 'http://localhost:3000')).toBe('http://localhost:3000');
  });
  it('refuses others and requests without Origin', () => {
    expect(allowedOrigin(list, 'https://evil.example.com')).toBeNull();
    expect(allowedOrigin(list, 'https://app.example.com.evil.net')).toBeNull();
    expect(allowedOrigin(list, 'http://app.example.com')).toBeNull();
    expect(allowedOrigin(list, undefined)).toBeNull();
  });
  it('"*" allows any origin', () => {
    expect(allowedOrigin(cors({ allow_origins: '*' }), 'https://any.example')).toBe('*');
  });
});

describe('preflightHeaders', () => {
  const config = cors({ allow_origins: ['https://app.example.com'], max_age_s: 60 });
  it('allows the origin with the webhook methods and the requested headers', () => {
    const h = preflightHeaders(config, { origin: 'https://app.example.com', method: 'POST', headers: 'content-type, x-trace' }, [
      'POST',
      'PUT',
    ]);
    expect(h).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Methods': 'POST, PUT',
      'Access-Control-Allow-Headers': 'content-type, x-trace',
      'Access-Control-Max-Age': '60',
    });
    expect(h.Vary).toContain('Origin');
  });
  it('uses configured methods and headers instead', () => {
    const c = cors({ allow_origins: '*', allow_methods: ['PUT'], allow_headers: ['X-One'] });
    expect(preflightHeaders(c, { origin: 'https://x.test', method: 'PUT', headers: 'x-two' }, ['POST'])).toMatchObject({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Allow-Headers': 'X-One',
    });
  });
  it('gives no Access-Control headers to a foreign origin or a method not allowed', () => {
    for (const req of [
      { origin: 'https://evil.example.com', method: 'POST', headers: undefined },
      { origin: 'https://app.example.com', method: 'DELETE', headers: undefined },
    ]) {
      const h = preflightHeaders(config, req, ['POST']);
      expect(Object.keys(h).filter((k) => k.startsWith('Access-Control'))).toEqual([]);
    }
  });
  it('drops requested header names that are not tokens', () => {
    const h = preflightHeaders(cors({ allow_origins: '*' }), { origin: 'https://x.test', method: 'POST', headers: 'ok, bad\r\nx: y' }, [
      'POST',
    ]);
    expect(h['Access-Control-Allow-Headers']).toBe('ok');
  });
});

describe('corsResponseHeaders and isPreflight', () => {
  it('marks a real response readable by an allowed origin only', () => {
    const c = cors({ allow_origins: ['https://app.example.com'] });
    expect(corsResponseHeaders(c, 'https://app.example.com')['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(corsResponseHeaders(c, 'https://evil.example.com')).toEqual({ Vary: 'Origin' });
  });
  it('a preflight is OPTIONS with Access-Control-Request-Method', () => {
    expect(isPreflight('OPTIONS', 'POST')).toBe(true);
    expect(isPreflight('OPTIONS', undefined)).toBe(false);
    expect(isPreflight('POST', 'POST')).toBe(false);
  });
});
