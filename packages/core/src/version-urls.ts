import type { EnvironmentState } from './environments';

/**
 * Version URLs (ADR 0021): every published version n of a workflow has its own immutable webhook
 * URL, `/hooks/{production token}/v{n}` (and `…/v{n}/sync`), beside the moving production URL. It
 * runs exactly version n until that version is retired; retiring is undone by restoring it.
 */

/** A workflow's state as its version URLs see it: its environments and which versions are retired. */
export interface VersionUrlState extends EnvironmentState {
  retiredVersions: readonly number[];
}

/** What a version URL runs: exactly its version, or why it runs nothing (unknown: 404, retired: 410). */
export type VersionTarget = { ok: true; version: number } | { ok: false; reason: 'unknown' | 'retired'; message: string };

/** The largest version number a URL may name (more digits name nothing). */
export const MAX_VERSION = 1_000_000_000;

/** The `{n}` of `/v{n}`: a decimal without a leading zero, 1 … MAX_VERSION; null for anything else (`v0`, `v01`, `vx`). */
export function parseVersionSegment(text: string): number | null {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_VERSION ? n : null;
}

/** Whether `version` is a published version of the workflow (published versions are numbered 1 … published_version). */
export function isPublishedVersion(state: EnvironmentState, version: number): boolean {
  return Number.isInteger(version) && version >= 1 && state.publishedVersion !== null && version <= state.publishedVersion;
}

/** The version URL of `version`: runs it unless it was never published (or is the draft) or is retired. */
export function versionTargetFor(state: VersionUrlState, version: number): VersionTarget {
  if (!isPublishedVersion(state, version))
    return { ok: false, reason: 'unknown', message: `Version ${version} of this workflow is not published` };
  if (state.retiredVersions.includes(version))
    return { ok: false, reason: 'retired', message: `Version ${version} of this workflow is retired` };
  return { ok: true, version };
}

/** The environments whose webhooks run `version` now: production the latest published one, staging its pin. */
export function environmentsRunning(state: EnvironmentState, version: number): ('production' | 'staging')[] {
  const running: ('production' | 'staging')[] = [];
  if (state.publishedVersion === version) running.push('production');
  if (state.stagingVersion === version) running.push('staging');
  return running;
}

/**
 * Whether `version` may be retired: it must be published, and no environment may run it. Retiring
 * the version production or staging runs would stop its version URL while the environment's URL
 * goes on running it: "retired" would not mean "no longer runs", so it is refused (`in_use`, naming
 * the environments). Publish a newer version or move the staging pin first.
 */
export type Retirement =
  { ok: true } | { ok: false; reason: 'unknown' } | { ok: false; reason: 'in_use'; environments: ('production' | 'staging')[] };

export function retirementOf(state: EnvironmentState, version: number): Retirement {
  if (!isPublishedVersion(state, version)) return { ok: false, reason: 'unknown' };
  const environments = environmentsRunning(state, version);
  return environments.length > 0 ? { ok: false, reason: 'in_use', environments } : { ok: true };
}

/** The published version numbers of a page, newest first: at most `limit`, below `before` (a previous page's last) if given. */
export function publishedVersionsPage(state: EnvironmentState, limit: number, before?: number): number[] {
  const top = Math.min(state.publishedVersion ?? 0, before === undefined ? Number.POSITIVE_INFINITY : before - 1);
  const page: number[] = [];
  for (let v = top; v >= 1 && page.length < limit; v--) page.push(v);
  return page;
}
