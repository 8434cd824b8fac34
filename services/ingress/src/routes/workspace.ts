import { parseCidr } from '@flowgate/kit';
import { setWorkspaceEgress, workspaceEgressEntries, type Collections } from '@flowgate/store';
import { workspaceOf } from '../auth';
import { route, type RouteTable } from '../http/route';
import { egressAllowList } from '../schemas/secrets';

/**
 * `/v1/workspace/egress`: the workspace's egress allow-list, the non-public destinations (CIDRs)
 * its http steps may reach beside the execution service's FLOWGATE_EGRESS_ALLOW_CIDRS. Executors
 * cache it for FLOWGATE_WORKSPACE_CACHE_MS (30 s by default), so a change applies within that time.
 */
const MAX_ENTRIES = 100;
/** Each entry a CIDR with zero host bits: every bad one is an issue of its own (`allow_cidrs[2]`). */
const egressPut = egressAllowList.strict().superRefine((body, ctx) => {
  body.allow_cidrs.forEach((entry, i) => {
    const result = parseCidr(entry);
    if (!result.ok) ctx.addIssue({ code: 'custom', path: ['allow_cidrs', i], message: `"${entry}": ${result.problem.message}` });
  });
});

export const workspaceSpecs = {
  getEgress: route({
    method: 'get',
    path: '/v1/workspace/egress',
    summary: "The workspace's egress allow-list: non-public destinations its http steps may reach",
    security: { apiKey: 'admin' },
    responses: { '200': { description: 'The allow-list', schema: egressAllowList } },
  }),
  replaceEgress: route({
    method: 'put',
    path: '/v1/workspace/egress',
    summary:
      'Replace the egress allow-list. Public unicast addresses are always reachable; private, loopback, link-local, ' +
      'CGNAT, unique-local and other special-purpose addresses only when in this list or FLOWGATE_EGRESS_ALLOW_CIDRS ' +
      '(else the step fails with egress_forbidden). Executors apply a change within FLOWGATE_WORKSPACE_CACHE_MS (30 s).',
    security: { apiKey: 'admin' },
    body: egressPut,
    bodyRequired: true,
    hint: `Body must be {"allow_cidrs": ["10.0.0.0/8", …]} with at most ${MAX_ENTRIES} entries, each a CIDR with zero host bits`,
    responses: { '200': { description: 'The stored (normalised) allow-list', schema: egressAllowList } },
  }),
};

export function workspaceRoutes(table: RouteTable, deps: { store: Collections }): void {
  const { store } = deps;

  table.mount(workspaceSpecs.getEgress, async (req, res) => {
    res.json({ allow_cidrs: (await workspaceEgressEntries(store.workspaces, workspaceOf(req))) ?? [] });
  });

  table.mount(workspaceSpecs.replaceEgress, async (req, res) => {
    const cidrs = [
      ...new Set(
        req.body.allow_cidrs.flatMap((entry) => {
          const result = parseCidr(entry);
          return result.ok ? [result.text] : [];
        }),
      ),
    ];
    const workspaceId = workspaceOf(req);
    const now = new Date();
    await setWorkspaceEgress(store.workspaces, workspaceId, cidrs, now);
    res.json({ allow_cidrs: cidrs });
  });
}
