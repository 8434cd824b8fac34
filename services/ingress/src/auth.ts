import { ApiError } from '@flowgate/contracts';
import { apiKeyScopeSchema, requiredScope, scopeAllows, type ApiKeyScope } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import { findActiveApiKey, touchApiKey, type ApiKeyDoc, type Collections, type WorkspaceDoc, isDeletedWorkspace } from '@flowgate/store';
import type { RequestHandler } from 'express';

/**
 * Management API auth: `Authorization: Bearer <api key>`; the key's workspace scopes the request
 * and its scopes must cover the route (packages/core api-key-scopes.ts) or it is a 403. The key is
 * looked up on every request, so a revoked key stops working at once on every replica.
 */
interface Caller {
  workspaceId: string;
  keyId: string;
  scopes: ApiKeyScope[];
}

const callers = new WeakMap<object, Caller>();

/** How often `last_used_at` is written (at most), so a busy key does not cost a write per request. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** A key's scopes; keys stored before scopes existed (no field) are admin keys. Unknown entries are ignored. */
export function scopesOf(key: Pick<ApiKeyDoc, 'scopes'>): ApiKeyScope[] {
  if (key.scopes === undefined) return ['admin'];
  return key.scopes.flatMap((s) => {
    const parsed = apiKeyScopeSchema.safeParse(s);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * Authenticates the API key (401); each route then checks the scope it declares (`requireScope`).
 * A key of a workspace being deleted (or deleted) is refused like an invalid one: its documents,
 * the key's own among them, are on their way out. A suspended workspace's keys keep working.
 */
export function requireApiKey(store: Collections, workspaceState: (id: string) => Promise<WorkspaceDoc | null>): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(new ApiError('unauthorized', 'Missing or malformed Authorization: Bearer <api key> header'));
    const key = await findActiveApiKey(store.apiKeys, sha256Hex(match[1]));
    if (!key) return next(new ApiError('unauthorized', 'Invalid API key'));
    const status = (await workspaceState(key.workspace_id))?.status;
    if (isDeletedWorkspace(status)) return next(new ApiError('unauthorized', 'Invalid API key (its workspace was deleted)'));
    callers.set(req, { workspaceId: key.workspace_id, keyId: key._id, scopes: scopesOf(key) });
    // The error handler's log lines name the workspace (errors.ts).
    res.locals.workspace_id = key.workspace_id;
    const now = new Date();
    // Awaited, not fired alongside: the request's own write to the key (a self-revocation) must not
    // race it (FerretDB applies an update as read, change, replace: the later write would win).
    if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() >= LAST_USED_GRANULARITY_MS)
      await touchApiKey(store.apiKeys, key._id, now).catch(() => undefined);
    next();
  };
}

const lacking = (needed: ApiKeyScope) => new ApiError('forbidden', `This API key lacks the scope "${needed}"`, { required_scope: needed });

/** 403 unless the caller's key covers `needed` (a route's declared scope). */
export function requireScope(needed: ApiKeyScope): RequestHandler {
  return (req, _res, next) => next(scopeAllows(callerOf(req).scopes, needed) ? undefined : lacking(needed));
}

/**
 * A path no route serves: 403 if the key could not use it anyway (by core's path table, so the
 * answer does not tell a key what exists beyond its scope), else 404.
 */
export const unmatchedManagementRoute: RequestHandler = (req, _res, next) => {
  const needed = requiredScope(req.method, `${req.baseUrl}${req.path}`);
  next(
    scopeAllows(callerOf(req).scopes, needed)
      ? new ApiError('not_found', `No route for ${req.method} ${req.baseUrl}${req.path}`)
      : lacking(needed),
  );
};

function callerOf(req: object): Caller {
  const caller = callers.get(req);
  if (!caller) throw new ApiError('unauthorized', 'Not authenticated');
  return caller;
}

export function workspaceOf(req: object): string {
  return callerOf(req).workspaceId;
}

/** Whether the request's key holds `scope` itself (e.g. `operator`, which only the bootstrap key has). */
export function callerHolds(req: object, scope: ApiKeyScope): boolean {
  return scopeAllows(callerOf(req).scopes, scope);
}

/** The id of the API key that made the request. */
export function apiKeyIdOf(req: object): string {
  return callerOf(req).keyId;
}
