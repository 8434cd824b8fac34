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
  return issueList(error.issues, []);
}

/** A root type mismatch: the option of a union that the input's type did not choose. */
const wrongType = (issues: readonly z.core.$ZodIssue[]) => issues.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0);

function issueList(list: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): ValidationIssue[] {
  return list.flatMap((raw): ValidationIssue[] => {
    const issue = { ...raw, path: [...prefix, ...raw.path] };
    // A union (e.g. "one object or a list of them"): the issues of the one option of the input's type.
    if (issue.code === 'invalid_union') {
      const chosen = issue.errors.filter((option) => !wrongType(option));
      if (chosen.length === 1 && chosen[0]) return issueList(chosen[0], issue.path);
    }
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field', code: issue.code }));
    return [{ path: formatPath(issue.path), message: issue.message, code: issue.code }];
  });
}
