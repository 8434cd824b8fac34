import { z } from 'zod';

/**
 * Webhook environments: each workflow has one webhook URL per environment. Production runs the
 * latest published version, staging the version pinned to it, development the current draft.
 */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export const environmentSchema = z.enum(ENVIRONMENTS);
export type Environment = z.infer<typeof environmentSchema>;

/** What a workflow's state says about its environments. */
export interface EnvironmentState {
  publishedVersion: number | null;
  stagingVersion: number | null;
}

/** The definition an environment runs: an immutable published version, or the draft. */
export type RunTarget = { ok: true; kind: 'version'; version: number } | { ok: true; kind: 'draft' } | { ok: false; message: string };

export function runTargetFor(environment: Environment, state: EnvironmentState): RunTarget {
  switch (environment) {
    case 'production':
      return state.publishedVersion === null
        ? { ok: false, message: 'The workflow has no published version' }
        : { ok: true, kind: 'version', version: state.publishedVersion };
    case 'staging':
      return state.stagingVersion === null
        ? { ok: false, message: 'No version is pinned to staging (PUT /v1/workflows/{id}/environments/staging)' }
        : { ok: true, kind: 'version', version: state.stagingVersion };
    case 'development':
      return { ok: true, kind: 'draft' };
  }
}

/** The version number recorded for a run of the draft (published versions start at 1). */
export const DRAFT_VERSION = 0;
