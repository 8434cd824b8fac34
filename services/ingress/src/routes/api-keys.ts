import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { apiKeyScopeSchema } from '@flowgate/core';
import { randomToken, sha256Hex } from '@flowgate/kit';
import type { ApiKeyDoc, Collections } from '@flowgate/store';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { apiKeyIdOf, scopesOf, workspaceOf } from '../auth';

/**
 * `/v1/api-keys` (admin scope): create (the plaintext key is in the answer once; only its SHA-256
 * is stored), list, revoke. Revoking the workspace's last active admin key is refused (409), so a
 * workspace cannot lock itself out.
 */
const createBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(apiKeyScopeSchema).min(1).max(10),
  })
  .strict();

const KEY_ID = /^key_[A-Za-z0-9_-]{1,128}$/;
const MAX_LISTED = 1_000;

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

export function apiKeyRoutes(deps: { store: Collections }): Router {
  const { store } = deps;
  const router = Router();

  const findKey = async (req: Request): Promise<ApiKeyDoc> => {
    const id = String(req.params.id);
    const doc = KEY_ID.test(id) ? await store.apiKeys.findOne({ _id: id, workspace_id: workspaceOf(req) }) : null;
    if (!doc) throw new ApiError('api_key_not_found', `API key ${id} not found`);
    return doc;
  };

  router.post('/v1/api-keys', async (req, res) => {
    const body = createBody.safeParse(req.body);
    if (!body.success) {
      const errors = body.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      throw new ApiError(
        'invalid_request',
        `Body must be {"name": "…", "scopes": [${apiKeyScopeSchema.options.map((s) => `"${s}"`).join(', ')}]}`,
        {
          errors,
        },
      );
    }
    const key = randomToken('fgk_', 32);
    const doc: ApiKeyDoc = {
      _id: `key_${randomUUID().replace(/-/g, '')}`,
      workspace_id: workspaceOf(req),
      name: body.data.name,
      key_hash: sha256Hex(key),
      key_prefix: key.slice(0, 12),
      scopes: [...new Set(body.data.scopes)],
      created_at: new Date(),
      last_used_at: null,
      revoked_at: null,
    };
    await store.apiKeys.insertOne(doc);
    res.status(201).json({ ...apiKeyView(doc), key });
  });

  router.get('/v1/api-keys', async (req, res) => {
    const docs = await store.apiKeys
      .find({ workspace_id: workspaceOf(req) }, { projection: { key_hash: 0 } })
      .sort({ created_at: -1 })
      .limit(MAX_LISTED)
      .toArray();
    res.json({ data: docs.map(apiKeyView) });
  });

  router.get('/v1/api-keys/:id', async (req, res) => {
    res.json(apiKeyView(await findKey(req)));
  });

  /** Revokes at once (every replica looks keys up per request); revoking a revoked key changes nothing. */
  router.delete('/v1/api-keys/:id', async (req, res) => {
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

  return router;
}
