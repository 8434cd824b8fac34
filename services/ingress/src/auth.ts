import { ApiError } from '@flowgate/contracts';
import { sha256Hex } from '@flowgate/kit';
import type { Collections } from '@flowgate/store';
import type { Request, RequestHandler } from 'express';

/** Management API auth: `Authorization: Bearer <api key>`; the key's workspace scopes the request. */
const workspaces = new WeakMap<Request, string>();

export function requireApiKey(store: Collections): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(new ApiError('unauthorized', 'Missing or malformed Authorization: Bearer <api key> header'));
    const key = await store.apiKeys.findOne({ key_hash: sha256Hex(match[1]), revoked_at: null });
    if (!key) return next(new ApiError('unauthorized', 'Invalid API key'));
    workspaces.set(req, key.workspace_id);
    next();
  };
}

export function workspaceOf(req: Request): string {
  const ws = workspaces.get(req);
  if (!ws) throw new ApiError('unauthorized', 'Not authenticated');
  return ws;
}
