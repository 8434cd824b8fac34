import {
  environmentsRunning,
  MAX_VERSION,
  parseVersionSegment,
  publishedVersionsPage,
  retirementOf,
  versionTargetFor,
} from '../src/version-urls';

const state = (publishedVersion: number | null, stagingVersion: number | null = null, retiredVersions: number[] = []) => ({
  publishedVersion,
  stagingVersion,
  retiredVersions,
});

describe('parseVersionSegment', () => {
  it('reads a version number without a leading zero', () => {
    expect(parseVersionSegment('1')).toBe(1);
    expect(parseVersionSegment('42')).toBe(42);
    expect(parseVersionSegment(String(MAX_VERSION))).toBe(MAX_VERSION);
  });

  it('names nothing for zero, leading zeros, signs, fractions, words and huge numbers', () => {
    for (const text of ['', '0', '01', '-1', '+1', '1.0', '1e3', 'sync', ' 1', String(MAX_VERSION + 1), '99999999999'])
      expect(parseVersionSegment(text)).toBeNull();
  });
});

describe('versionTargetFor', () => {
  it('runs exactly the version named, whatever production has moved to', () => {
    expect(versionTargetFor(state(3), 1)).toEqual({ ok: true, version: 1 });
    expect(versionTargetFor(state(3), 3)).toEqual({ ok: true, version: 3 });
    expect(versionTargetFor(state(3, 2), 2)).toEqual({ ok: true, version: 2 });
  });

  it('knows no version that was never published, nor the draft (version 0)', () => {
    for (const [s, v] of [
      [state(null), 1],
      [state(2), 3],
      [state(2), 0],
      [state(2), -1],
      [state(2), 1.5],
    ] as const) {
      expect(versionTargetFor(s, v)).toEqual({ ok: false, reason: 'unknown', message: expect.stringContaining('not published') });
    }
  });

  it('refuses a retired version, and runs it again once restored', () => {
    expect(versionTargetFor(state(3, null, [1, 2]), 2)).toEqual({
      ok: false,
      reason: 'retired',
      message: expect.stringContaining('retired'),
    });
    expect(versionTargetFor(state(3, null, [1]), 2)).toEqual({ ok: true, version: 2 });
  });

  it('says unknown before retired: a retired number past the latest names nothing', () => {
    expect(versionTargetFor(state(2, null, [5]), 5)).toMatchObject({ ok: false, reason: 'unknown' });
  });
});

describe('retirementOf', () => {
  it('allows a published version no environment runs', () => {
    expect(retirementOf(state(3, 2), 1)).toEqual({ ok: true });
  });

  it('refuses the version production runs (the latest) and the one staging is pinned to', () => {
    expect(retirementOf(state(3, 2), 3)).toEqual({ ok: false, reason: 'in_use', environments: ['production'] });
    expect(retirementOf(state(3, 2), 2)).toEqual({ ok: false, reason: 'in_use', environments: ['staging'] });
    expect(retirementOf(state(3, 3), 3)).toEqual({ ok: false, reason: 'in_use', environments: ['production', 'staging'] });
  });

  it('knows no unpublished version', () => {
    expect(retirementOf(state(null), 1)).toEqual({ ok: false, reason: 'unknown' });
    expect(retirementOf(state(3), 4)).toEqual({ ok: false, reason: 'unknown' });
    expect(retirementOf(state(3), 0)).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('environmentsRunning', () => {
  it('names production for the latest, staging for its pin', () => {
    expect(environmentsRunning(state(4, 1), 4)).toEqual(['production']);
    expect(environmentsRunning(state(4, 1), 1)).toEqual(['staging']);
    expect(environmentsRunning(state(4, 1), 2)).toEqual([]);
  });
});

describe('publishedVersionsPage', () => {
  it('lists newest first, a page at a time', () => {
    expect(publishedVersionsPage(state(5), 2)).toEqual([5, 4]);
    expect(publishedVersionsPage(state(5), 2, 4)).toEqual([3, 2]);
    expect(publishedVersionsPage(state(5), 2, 2)).toEqual([1]);
    expect(publishedVersionsPage(state(5), 2, 1)).toEqual([]);
    expect(publishedVersionsPage(state(5), 10, 99)).toEqual([5, 4, 3, 2, 1]);
  });

  it('is empty before the first publish', () => {
    expect(publishedVersionsPage(state(null), 10)).toEqual([]);
  });
});
