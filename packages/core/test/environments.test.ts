import { environmentSchema, runTargetFor } from '../src/environments';

describe('runTargetFor', () => {
  it('production runs the latest published version, and nothing before the first publish', () => {
    expect(runTargetFor('production', { publishedVersion: 3, stagingVersion: 1 })).toEqual({ ok: true, kind: 'version', version: 3 });
    const none = runTargetFor('production', { publishedVersion: null, stagingVersion: null });
    expect(none.ok).toBe(false);
  });

  it('staging runs the pinned version only', () => {
    expect(runTargetFor('staging', { publishedVersion: 3, stagingVersion: 2 })).toEqual({ ok: true, kind: 'version', version: 2 });
    const unpinned = runTargetFor('staging', { publishedVersion: 3, stagingVersion: null });
    expect(unpinned).toEqual({ ok: false, message: expect.stringContaining('pinned') });
  });

  it('development runs the draft, published or not', () => {
    expect(runTargetFor('development', { publishedVersion: null, stagingVersion: null })).toEqual({ ok: true, kind: 'draft' });
    expect(runTargetFor('development', { publishedVersion: 5, stagingVersion: 5 })).toEqual({ ok: true, kind: 'draft' });
  });

  it('knows exactly three environments', () => {
    expect(environmentSchema.safeParse('production').success).toBe(true);
    expect(environmentSchema.safeParse('prod').success).toBe(false);
  });
});
