import { ApiError } from '@flowgate/contracts';
import { inferParameters } from '@flowgate/core';
import { z } from 'zod';
import { route, type RouteTable } from '../http/route';

/**
 * `POST /v1/parameters/infer`: a parameter schema guessed from a sample — a JSON object, or
 * `{"pairs": [{"key": "...", "value": "..."}]}` key / value pairs — ready to paste into
 * `trigger.webhook.parameters`.
 */
export const parameterSpecs = {
  infer: route({
    method: 'post',
    path: '/v1/parameters/infer',
    summary: 'Guess a parameter schema from a sample JSON object or key/value pairs',
    security: { apiKey: 'workflows:write' },
    body: z.record(z.string(), z.unknown()).describe('A sample JSON object, or {"pairs": [{"key": "...", "value": "..."}]}'),
    bodyRequired: true,
    hint: 'Send a JSON object as the sample, or {"pairs": [{"key", "value"}]}',
    responses: {
      '200': {
        description: 'Parameters for trigger.webhook.parameters',
        schema: z.object({ parameters: z.record(z.string(), z.unknown()) }),
      },
    },
  }),
};

export function parameterRoutes(table: RouteTable): void {
  table.mount(parameterSpecs.infer, (req, res) => {
    const record = req.body;
    const pairs = record.pairs;
    if (Array.isArray(pairs)) {
      const fromPairs: Record<string, unknown> = {};
      for (const pair of pairs as unknown[]) {
        const p = pair as { key?: unknown; value?: unknown } | null;
        if (!p || typeof p.key !== 'string') throw new ApiError('invalid_request', 'Each pair needs a string "key"');
        fromPairs[p.key] = p.value;
      }
      return res.json({ parameters: inferParameters(fromPairs) });
    }
    res.json({ parameters: inferParameters(record) });
  });
}
