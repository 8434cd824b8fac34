import { ApiError } from '@flowgate/contracts';
import { formatPath } from '@flowgate/core';
import type { z } from 'zod';

/**
 * The one `details` layout of every validation failure (400 invalid_request, 422
 * invalid_workflow_definition): `{"issues": [{"path", "message", "code"}]}`. `path` names the field
 * (`steps[1].request.url`, `allow_cidrs[2]`, a query parameter, `""` for the whole input), `code`
 * is zod's issue code (`invalid_type`, `too_big`, `unrecognized_keys`, `custom`, …). An unknown
 * field is one issue of its own, its path the field's.
 */
export interface ValidationIssue {
  path: string;
  message: string;
  code: string;
}

export function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): ValidationIssue[] {
  return error.issues.flatMap((issue): ValidationIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown field', code: issue.code }));
    return [{ path: formatPath(path), message: issue.message, code: issue.code }];
  });
}

/** `Body must be …: path: message; …` — the route's own hint, then every issue. */
export function summaryOf(hint: string, issues: readonly ValidationIssue[]): string {
  const listed = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return listed ? `${hint}: ${listed}` : hint;
}

export function invalidRequest(hint: string, issues: ValidationIssue[]): ApiError {
  return new ApiError('invalid_request', summaryOf(hint, issues), { issues });
}
