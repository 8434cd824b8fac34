import { z } from 'zod';

/**
 * API-key scopes and which one each management route needs. `admin` allows everything; a
 * `…:write` scope also allows the matching `…:read`. The table goes by path prefix, so a route
 * added later is covered at once: anything not listed needs `admin`.
 */
export const API_KEY_SCOPES = ['admin', 'workflows:read', 'workflows:write', 'executions:read', 'executions:write'] as const;
export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;

/** Path prefixes (under /v1) and the resource they belong to; the first match wins. */
const RESOURCES: readonly { prefix: string; resource: 'workflows' | 'executions' }[] = [
  { prefix: '/v1/workflows', resource: 'workflows' },
  { prefix: '/v1/triggers', resource: 'workflows' },
  { prefix: '/v1/sources', resource: 'workflows' },
  { prefix: '/v1/parameters', resource: 'workflows' },
  { prefix: '/v1/executions', resource: 'executions' },
  { prefix: '/v1/deliveries', resource: 'executions' },
];

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The scope a request to `method path` needs (path without the query string). */
export function requiredScope(method: string, path: string): ApiKeyScope {
  const match = RESOURCES.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
  if (!match) return 'admin';
  return `${match.resource}:${READ_METHODS.has(method.toUpperCase()) ? 'read' : 'write'}`;
}

/** Whether a key with `granted` scopes may do what `needed` covers. */
export function scopeAllows(granted: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  if (granted.includes('admin') || granted.includes(needed)) return true;
  if (needed.endsWith(':read')) return granted.includes(needed.replace(/:read$/, ':write') as ApiKeyScope);
  return false;
}
