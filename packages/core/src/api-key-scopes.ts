import { z } from 'zod';

/**
 * API-key scopes and which one each management route needs. `admin` allows everything inside the
 * key's workspace; a `…:write` scope also allows the matching `…:read`. `operator` (the
 * installation's workspaces, `/v1/workspaces…`, and the limits an operator sets on a workspace) is
 * held by the bootstrap key only: `admin` does not imply it and no key made through the API can
 * carry it. The table goes by path prefix, so a route added later is covered at once: anything not
 * listed needs `admin`.
 */
export const API_KEY_SCOPES = ['admin', 'operator', 'workflows:read', 'workflows:write', 'executions:read', 'executions:write'] as const;
/** The scopes a key made through the API may carry (never `operator`). */
export const GRANTABLE_SCOPES = ['admin', 'workflows:read', 'workflows:write', 'executions:read', 'executions:write'] as const;
export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;

/** Path prefixes (under /v1) and the resource they belong to; the first match wins. */
const OPERATOR_PREFIXES = ['/v1/workspaces'];
/** Writes an operator makes to a workspace's limits (read by its admin). */
const OPERATOR_WRITES = ['/v1/workspace/quotas', '/v1/workspace/egress'];

const RESOURCES: readonly { prefix: string; resource: 'workflows' | 'executions' }[] = [
  { prefix: '/v1/workflows', resource: 'workflows' },
  { prefix: '/v1/shared-workflows', resource: 'workflows' },
  { prefix: '/v1/triggers', resource: 'workflows' },
  { prefix: '/v1/sources', resource: 'workflows' },
  { prefix: '/v1/parameters', resource: 'workflows' },
  { prefix: '/v1/executions', resource: 'executions' },
  { prefix: '/v1/deliveries', resource: 'executions' },
  { prefix: '/v1/dead-letters', resource: 'executions' },
];

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The scope a request to `method path` needs (path without the query string). */
export function requiredScope(method: string, path: string): ApiKeyScope {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  if (OPERATOR_PREFIXES.some(under)) return 'operator';
  const read = READ_METHODS.has(method.toUpperCase());
  if (!read && OPERATOR_WRITES.some(under)) return 'operator';
  const match = RESOURCES.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
  if (!match) return 'admin';
  return `${match.resource}:${read ? 'read' : 'write'}`;
}

/** Whether a key with `granted` scopes may do what `needed` covers. */
export function scopeAllows(granted: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  if (needed === 'operator') return granted.includes('operator');
  if (granted.includes('admin') || granted.includes(needed)) return true;
  if (needed.endsWith(':read')) return granted.includes(needed.replace(/:read$/, ':write') as ApiKeyScope);
  return false;
}
