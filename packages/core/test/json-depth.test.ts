import { exceedsJsonDepth, jsonNestingDepth } from '../src/json-depth';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['"[[[{{{"', 0],
    ['[]', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['[[],[],[[]]]', 3],
    ['{"a":"\\"[[[["}', 1],
    ['{"a":"\\\\","b":[[]]}', 3],
    ['{"k\\u005b":[{"x":"}}}"}]}', 3],
  ])('measures %s as %i', (text, depth) => {
    expect(jsonNestingDepth(bytes(text))).toBe(depth);
  });

  it('measures 10 000 levels without recursion and stops early at the limit', () => {
    const deep = bytes('['.repeat(10_000) + ']'.repeat(10_000));
    expect(jsonNestingDepth(deep)).toBe(10_000);
    expect(jsonNestingDepth(deep, 64)).toBe(65);
  });

  it('ignores stray closing brackets and unterminated strings (left to the parser)', () => {
    expect(jsonNestingDepth(bytes(']]]][['))).toBe(2);
    expect(jsonNestingDepth(bytes('["[[[[[['))).toBe(1);
  });

  it('handles multi-byte UTF-8 inside strings', () => {
    expect(jsonNestingDepth(bytes('{"ключ":["日本[語"]}'))).toBe(2);
  });
});

describe('exceedsJsonDepth', () => {
  it('is false at the limit and true one past it', () => {
    expect(exceedsJsonDepth(bytes('[[[]]]'), 3)).toBe(false);
    expect(exceedsJsonDepth(bytes('[[[[]]]]'), 3)).toBe(true);
  });
});
