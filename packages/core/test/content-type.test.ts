import { bodyKindOf, mediaTypeOf, parseFormUrlEncoded, rawEncodingOf } from '../src/content-type';

describe('webhook body content types', () => {
  it('classifies media types', () => {
    expect(mediaTypeOf('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaTypeOf(undefined)).toBe('');
    expect(bodyKindOf('')).toBe('json');
    expect(bodyKindOf('application/vnd.api+json')).toBe('json');
    expect(bodyKindOf('application/x-www-form-urlencoded')).toBe('form');
    expect(bodyKindOf('multipart/form-data')).toBe('multipart');
    for (const t of ['text/plain', 'text/csv', 'text/xml', 'application/xml', 'application/atom+xml', 'application/csv'])
      expect(bodyKindOf(t)).toBe('text');
    expect(bodyKindOf('application/octet-stream')).toBe('binary');
    expect(bodyKindOf('image/png')).toBe('binary');
    expect(rawEncodingOf('text')).toBe('utf8');
    expect(rawEncodingOf('json')).toBe('utf8');
    expect(rawEncodingOf('multipart')).toBe('base64');
    expect(rawEncodingOf('binary')).toBe('base64');
  });

  it('parses forms with repeated names, and __proto__ as a plain field', () => {
    const fields = parseFormUrlEncoded('a=1&b=x%20y&a=2&a=3&__proto__=p');
    expect(Object.keys(fields)).toEqual(['a', 'b', '__proto__']);
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(JSON.stringify(fields)).toBe('{"a":["1","2","3"],"b":"x y","__proto__":"p"}');
  });
});
