import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { GRANTABLE_SCOPES, type ApiKeyScope } from '@flowgate/core';
import { randomToken, sha256Hex } from '@flowgate/kit';
import {
  findOwnedApiKey,
  hasActiveAdminKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  undoApiKeyRevocation,
  type ApiKeyDoc,
  type Collections,
} from '@flowgate/store';
import { z } from 'zod';
import { apiKeyIdOf, scopesOf, workspaceOf } from '../auth';
import { apiKeyPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, page, pagination } from '../http/schemas';
import { pageOf, pageStart } from '../http/paging';
import { apiKey, apiKeyCreated } from '../schemas/access';

/**
 * `/v1/api-keys` (admin scope): create (the plaintext key is in the answer once; only its SHA-256
 * is stored), list, revoke. Revoking the workspace's last active admin key is refused (409), so a
 * workspace cannot lock itself out.
 */
const admin = { apiKey: 'admin' } as const;

/** What a key made through the API may carry: never `operator` (the bootstrap key's alone). */
const grantableScope = z.enum(GRANTABLE_SCOPES);
export const newApiKeyBody = z.object({ name: z.string().trim().min(1).max(200), scopes: z.array(grantableScope).min(1).max(10) }).strict();
export const newApiKeyHint = `Body must be {"name": "…", "scopes": [${GRANTABLE_SCOPES.map((s) => `"${s}"`).join(', ')}]} (operator is never granted)`;

/** Stores a new key of the workspace; the answer body, with the key shown this once. */
export async function mintApiKey(store: Collections, workspaceId: string, name: string, scopes: readonly ApiKeyScope[]) {
  const key = randomToken('fgk_', 32);
  const doc: ApiKeyDoc = {
    _id: `key_${randomUUID().replace(/-/g, '')}`,
    workspace_id: workspaceId,
    name,
    key_hash: sha256Hex(key),
    key_prefix: key.slice(0, 12),
    scopes: [...new Set(scopes)],
    created_at: new Date(),
    last_used_at: null,
    revoked_at: null,
  };
  await insertApiKey(store.apiKeys, doc);
  return { ...apiKeyView(doc), key };
}

export const apiKeySpecs = {
  create: route({
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an API key; the answer holds the key once; admin scope',
    security: admin,
    body: newApiKeyBody,
    bodyRequired: true,
    hint: newApiKeyHint,
    responses: { '201': { description: 'Created', schema: apiKeyCreated } },
  }),
  list: route({
    method: 'get',
    path: '/v1/api-keys',
    summary: "The workspace's API keys, newest first, with cursor pagination (never the key or its hash); admin scope",
    security: admin,
    query: z.object({ ...pagination }).strict(),
    hint: 'Query: limit (1–100), cursor (a next_cursor)',
    responses: { '200': { description: 'A page of keys', schema: page(apiKey) } },
  }),
  get: route({
    method: 'get',
    path: '/v1/api-keys/{id}',
    security: admin,
    ...apiKeyPath,
    responses: { '200': { description: 'Key', schema: apiKey }, '404': failure('api_key_not_found') },
  }),
  revoke: route({
    method: 'delete',
    path: '/v1/api-keys/{id}',
    summary: 'Revoke a key: it stops working at once on every replica; revoking a revoked key changes nothing',
    security: admin,
    ...apiKeyPath,
    responses: {
      '200': { description: 'The revoked key', schema: apiKey },
      '404': failure('api_key_not_found'),
      '409': failure("The workspace's last active admin key (details.reason = last_admin_key)"),
    },
  }),
};

export function apiKeyView(doc: Omit<ApiKeyDoc, 'key_hash'>) {
  return {
    id: doc._id,
    name: doc.name,
    prefix: doc.key_prefix,
    scopes: scopesOf(doc),
    created_at: doc.created_at.toISOString(),
    last_used_at: doc.last_used_at ? doc.last_used_at.toISOString() : null,
    revoked_at: doc.revoked_at ? doc.revoked_at.toISOString() : null,
  };
}

export function apiKeyRoutes(table: RouteTable, deps: { store: Collections }): void {
  const { store } = deps;

  const findKey = async (req: { params: { id: string } }): Promise<ApiKeyDoc> => {
    const id = req.params.id;
    const doc = await findOwnedApiKey(store.apiKeys, workspaceOf(req), id);
    if (!doc) throw new ApiError('api_key_not_found', `API key ${id} not found`);
    return doc;
  };

  table.mount(apiKeySpecs.create, async (req, res) => {
    res.status(201).json(await mintApiKey(store, workspaceOf(req), req.body.name, req.body.scopes));
  });

  table.mount(apiKeySpecs.list, async (req, res) => {
    const { limit, cursor } = req.query;
    const { items, nextCursor } = pageOf(await listApiKeys(store.apiKeys, workspaceOf(req), limit + 1, pageStart(cursor)), limit);
    res.json({ data: items.map(apiKeyView), next_cursor: nextCursor });
  });

  table.mount(apiKeySpecs.get, async (req, res) => {
    res.json(apiKeyView(await findKey(req)));
  });

  /** Revokes at once (every replica looks keys up per request); revoking a revoked key changes nothing. */
  table.mount(apiKeySpecs.revoke, async (req, res) => {
    const doc = await findKey(req);
    if (doc.revoked_at) return res.json(apiKeyView(doc));
    const revokedAt = new Date();
    const revoked = await revokeApiKey(store.apiKeys, doc, revokedAt);
    if (!revoked) return res.json(apiKeyView(await findKey(req)));
    // Revoke first, then check: two admins revoking each other at once both see no admin left and
    // both undo, so a workspace never ends up without one.
    if (scopesOf(revoked).includes('admin') && !(await hasActiveAdminKey(store.apiKeys, doc.workspace_id))) {
      await undoApiKeyRevocation(store.apiKeys, doc._id, revokedAt);
      const self = doc._id === apiKeyIdOf(req);
      throw new ApiError(
        'conflict',
        `${self ? 'This is' : 'That is'} the workspace's last active admin key; create another admin key before revoking it`,
        { reason: 'last_admin_key' },
      );
    }
    res.json(apiKeyView(revoked));
  });
}
