import { decodeCursor, encodeCursor } from '../src/cursor';

describe('pagination cursors', () => {
  it('round-trips and rejects anything unreadable', () => {
    const cursor = { at: '2026-11-23T08:00:00.000Z', id: 'e1' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(encodeCursor(cursor)).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const bad of [
      '',
      'not-base64!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","e1"]').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
    ])
      expect(decodeCursor(bad)).toBeNull();
  });
});
