import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { apiKeyScopeSchema } from '@flowgate/core';
import { randomToken, sha256Hex } from '@flowgate/kit';
import type { ApiKeyDoc, Collections } from '@flowgate/store';
import { z } from 'zod';
import { apiKeyIdOf, scopesOf, workspaceOf } from '../auth';
import { apiKeyPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, list } from '../http/schemas';
import { apiKey, apiKeyCreated, apiKeyScope } from '../schemas/access';

/**
 * `/v1/api-keys` (admin scope): create (the plaintext key is in the answer once; only its SHA-256
 * is stored), list, revoke. Revoking the workspace's last active admin key is refused (409), so a
 * workspace cannot lock itself out.
 */
const MAX_LISTED = 1_000;
const admin = { apiKey: 'admin' } as const;

export const apiKeySpecs = {
  create: route({
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an API key; the answer holds the key once; admin scope',
    security: admin,
    body: z.object({ name: z.string().trim().min(1).max(200), scopes: z.array(apiKeyScope).min(1).max(10) }).strict(),
    bodyRequired: true,
    hint: `Body must be {"name": "…", "scopes": [${apiKeyScopeSchema.options.map((s) => `"${s}"`).join(', ')}]}`,
    responses: { '201': { description: 'Created', schema: apiKeyCreated } },
  }),
  list: route({
    method: 'get',
    path: '/v1/api-keys',
    summary: "The workspace's API keys, newest first (never the key or its hash); admin scope",
    security: admin,
    responses: { '200': { description: 'Keys', schema: list(apiKey) } },
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

export function apiKeyView(doc: ApiKeyDoc) {
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

/** Active keys of a workspace that carry admin (keys from before scopes count as admin). */
const activeAdmins = (workspaceId: string) => ({
  workspace_id: workspaceId,
  revoked_at: null,
  $or: [{ scopes: 'admin' }, { scopes: { $exists: false } }],
});

export function apiKeyRoutes(table: RouteTable, deps: { store: Collections }): void {
  const { store } = deps;

  const findKey = async (req: { params: { id: string } }): Promise<ApiKeyDoc> => {
    const id = req.params.id;
    const doc = await store.apiKeys.findOne({ _id: id, workspace_id: workspaceOf(req) });
    if (!doc) throw new ApiError('api_key_not_found', `API key ${id} not found`);
    return doc;
  };

  table.mount(apiKeySpecs.create, async (req, res) => {
    const key = randomToken('fgk_', 32);
    const doc: ApiKeyDoc = {
      _id: `key_${randomUUID().replace(/-/g, '')}`,
      workspace_id: workspaceOf(req),
      name: req.body.name,
      key_hash: sha256Hex(key),
      key_prefix: key.slice(0, 12),
      scopes: [...new Set(req.body.scopes)],
      created_at: new Date(),
      last_used_at: null,
      revoked_at: null,
    };
    await store.apiKeys.insertOne(doc);
    res.status(201).json({ ...apiKeyView(doc), key });
  });

  table.mount(apiKeySpecs.list, async (req, res) => {
    const docs = await store.apiKeys
      .find({ workspace_id: workspaceOf(req) }, { projection: { key_hash: 0 } })
      .sort({ created_at: -1 })
      .limit(MAX_LISTED)
      .toArray();
    res.json({ data: docs.map(apiKeyView) });
  });

  table.mount(apiKeySpecs.get, async (req, res) => {
    res.json(apiKeyView(await findKey(req)));
  });

  /** Revokes at once (every replica looks keys up per request); revoking a revoked key changes nothing. */
  table.mount(apiKeySpecs.revoke, async (req, res) => {
    const doc = await findKey(req);
    if (doc.revoked_at) return res.json(apiKeyView(doc));
    const revokedAt = new Date();
    const revoked = await store.apiKeys.findOneAndUpdate(
      { _id: doc._id, workspace_id: doc.workspace_id, revoked_at: null },
      { $set: { revoked_at: revokedAt } },
      { returnDocument: 'after' },
    );
    if (!revoked) return res.json(apiKeyView(await findKey(req)));
    // Revoke first, then check: two admins revoking each other at once both see no admin left and
    // both undo, so a workspace never ends up without one.
    if (scopesOf(revoked).includes('admin') && (await store.apiKeys.countDocuments(activeAdmins(doc.workspace_id), { limit: 1 })) === 0) {
      await store.apiKeys.updateOne({ _id: doc._id, revoked_at: revokedAt }, { $set: { revoked_at: null } });
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
