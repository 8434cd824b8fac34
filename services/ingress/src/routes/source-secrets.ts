import { ApiError } from '@flowgate/contracts';
import { authMethodsOf } from '@flowgate/core';
import type { SecretBox } from '@flowgate/kit';
import { addSourceSecret, findOwnedSource, removeSourceSecret, type Collections, type SourceDoc } from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { addSecretBody, addSecretHint, conflictSafe, newSecretEntry, SECRET_ID, secretEntryView } from '../auth-secrets';
import { sourcePath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, sourceId } from '../http/schemas';
import { triggerSecretAdded, triggerSecretList } from '../schemas/secrets';
import type { ConfigChanges } from '../config-cache';

/**
 * Write-only secrets of an event source's own auth methods (`auth` of /v1/sources), managed exactly
 * like a webhook trigger's (auth-secrets.ts): add (given, or generated and shown once; the method's
 * previous secret stays valid beside it, at most two per method), list (fingerprints, never a
 * value), revoke. Every change is announced: replicas hold the source, secrets included, in memory.
 */
export const sourceSecretSpecs = {
  list: route({
    method: 'get',
    path: '/v1/sources/{id}/secrets',
    summary: "The secrets of the source's auth methods: ids, methods, fingerprints and creation times, never a value",
    security: { apiKey: 'workflows:read' },
    ...sourcePath,
    responses: { '200': { description: 'Secrets, oldest first', schema: triggerSecretList }, '404': failure('source_not_found') },
  }),
  add: route({
    method: 'post',
    path: '/v1/sources/{id}/secrets',
    summary:
      "Add a secret to one of the source's auth methods (rotation): the method's previous secret stays valid beside it, older ones " +
      'are dropped (at most two per method). Tokens are stored as SHA-256 hashes, signing keys sealed with AES-256-GCM',
    security: { apiKey: 'workflows:write' },
    ...sourcePath,
    body: addSecretBody,
    hint: addSecretHint,
    responses: {
      '201': { description: 'The new secret (`secret` only when generated) and all secrets of the source', schema: triggerSecretAdded },
      '400': failure('The source has no auth method that uses a secret, or the method is not named (invalid_request)'),
      '404': failure('source_not_found'),
      '409': failure('The secrets changed at the same time (conflict)'),
    },
  }),
  revoke: route({
    method: 'delete',
    path: '/v1/sources/{id}/secrets/{secret_id}',
    summary: 'Revoke one secret of a source at once',
    security: { apiKey: 'workflows:write' },
    // The secret id is checked after the source (an unknown source is its 404 first).
    params: z.object({ id: sourceId, secret_id: z.string().describe('sec_…') }),
    notFound: sourcePath.notFound,
    responses: {
      '204': { description: 'Revoked' },
      '404': failure('source_not_found, or no such secret (not_found)'),
      '409': failure('The secrets changed at the same time (conflict)'),
    },
  }),
};

export function sourceSecretRoutes(table: RouteTable, deps: { store: Collections; box: SecretBox; configChanges: ConfigChanges }): void {
  const { store, box } = deps;

  const findSource = async (req: { params: { id: string } }): Promise<SourceDoc> => {
    const id = req.params.id;
    const doc = await findOwnedSource(store.sources, workspaceOf(req), id);
    if (!doc) throw new ApiError('source_not_found', `Source ${id} not found`);
    return doc;
  };

  table.mount(sourceSecretSpecs.list, async (req, res) => {
    const doc = await findSource(req);
    res.json({ secrets: (doc.auth_secrets ?? []).map(secretEntryView) });
  });

  table.mount(sourceSecretSpecs.add, async (req, res) => {
    const doc = await findSource(req);
    const noMethods = 'The source has no auth method that uses a secret (set its auth first: PATCH /v1/sources/{id})';
    const { entry, secret } = newSecretEntry(authMethodsOf(doc.auth ?? undefined), req.body, box, noMethods);
    const all = await conflictSafe(() => addSourceSecret(store.sources, doc, entry, new Date()));
    if (!all) throw new ApiError('source_not_found', `Source ${doc._id} not found`);
    await deps.configChanges.sourceChanged(doc);
    res.status(201).json({ ...secretEntryView(entry), ...(secret === undefined ? {} : { secret }), secrets: all.map(secretEntryView) });
  });

  table.mount(sourceSecretSpecs.revoke, async (req, res) => {
    const doc = await findSource(req);
    const secretId = req.params.secret_id;
    const left = SECRET_ID.test(secretId) ? await conflictSafe(() => removeSourceSecret(store.sources, doc, secretId, new Date())) : null;
    if (!left) throw new ApiError('not_found', `Secret ${secretId} not found`);
    await deps.configChanges.sourceChanged(doc);
    res.status(204).end();
  });
}
