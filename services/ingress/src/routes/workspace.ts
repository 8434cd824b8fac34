import { ApiError } from '@flowgate/contracts';
import { parseCidr } from '@flowgate/kit';
import type { Collections } from '@flowgate/store';
import { Router } from 'express';
import { z } from 'zod';
import { workspaceOf } from '../auth';

/**
 * `/v1/workspace/egress`: the workspace's egress allow-list, the non-public destinations (CIDRs)
 * its http steps may reach beside the execution service's FLOWGATE_EGRESS_ALLOW_CIDRS. Executors
 * cache it for FLOWGATE_WORKSPACE_CACHE_MS (30 s by default), so a change applies within that time.
 */
const MAX_ENTRIES = 100;
const egressPut = z.object({ allow_cidrs: z.array(z.string().max(64)).max(MAX_ENTRIES) }).strict();

export function workspaceRoutes(deps: { store: Collections }): Router {
  const { store } = deps;
  const router = Router();

  router.get('/v1/workspace/egress', async (req, res) => {
    const doc = await store.workspaces.findOne({ _id: workspaceOf(req) }, { projection: { egress_allow_cidrs: 1 } });
    res.json({ allow_cidrs: doc?.egress_allow_cidrs ?? [] });
  });

  router.put('/v1/workspace/egress', async (req, res) => {
    const body = egressPut.safeParse(req.body);
    if (!body.success)
      throw new ApiError('invalid_request', `Body must be {"allow_cidrs": ["10.0.0.0/8", …]} with at most ${MAX_ENTRIES} entries`);
    const parsed = body.data.allow_cidrs.map((entry, i) => ({ i, entry, result: parseCidr(entry) }));
    const errors = parsed.flatMap(({ i, entry, result }) =>
      result.ok ? [] : [{ path: `allow_cidrs[${i}]`, entry, message: result.problem.message }],
    );
    if (errors.length > 0) {
      const summary = errors.map((e) => `"${e.entry}": ${e.message}`).join('; ');
      throw new ApiError('invalid_request', `Invalid CIDR in allow_cidrs: ${summary}`, { errors });
    }
    const cidrs = [...new Set(parsed.flatMap(({ result }) => (result.ok ? [result.text] : [])))];
    const workspaceId = workspaceOf(req);
    const now = new Date();
    await store.workspaces.updateOne(
      { _id: workspaceId },
      { $set: { egress_allow_cidrs: cidrs, egress_updated_at: now }, $setOnInsert: { name: workspaceId, created_at: now } },
      { upsert: true },
    );
    res.json({ allow_cidrs: cidrs });
  });

  return router;
}
