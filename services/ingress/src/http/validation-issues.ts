import { ApiError } from '@flowgate/contracts';
import type { ValidationIssue } from '@flowgate/core';

/**
 * A refused input: `400 invalid_request` with the one `details` layout of every validation failure,
 * `{"issues": [{"path", "message", "code"}]}` (core's validation-issues.ts; the 422 of a workflow
 * definition carries the same). The message is the route's hint, then every issue.
 */
export function summaryOf(hint: string, issues: readonly ValidationIssue[]): string {
  const listed = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return listed ? `${hint}: ${listed}` : hint;
}

export function invalidRequest(hint: string, issues: ValidationIssue[]): ApiError {
  return new ApiError('invalid_request', summaryOf(hint, issues), { issues });
}
