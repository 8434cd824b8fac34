import type { z } from 'zod';

/**
 * The one layout of a validation failure, for workflow definitions and every API input alike:
 * `{path, message, code}`. `path` names the field (`steps[1].request.url`, `""` for the whole
 * input), `code` is zod's issue code (`invalid_type`, `too_big`, `unrecognized_keys`, `custom`, …)
 * or, for a workflow definition, one of its own checks (definition-checks.ts: `invalid_expression`, …).
 * An unknown field is one issue of its own, its path the field's.
 */
export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

/** `steps[1].request.url` from zod's `['steps', 1, 'request', 'url']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap((issue): ValidationIssue[] => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field', code: issue.code }));
    return [{ path: formatPath(issue.path), message: issue.message, code: issue.code }];
  });
}
