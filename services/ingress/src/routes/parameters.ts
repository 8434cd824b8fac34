import { ApiError } from '@flowgate/contracts';
import { inferParameters } from '@flowgate/core';
import { Router } from 'express';

/**
 * `POST /v1/parameters/infer`: a parameter schema guessed from a sample — a JSON object, or
 * `{"pairs": [{"key": "...", "value": "..."}]}` key / value pairs — ready to paste into
 * `trigger.webhook.parameters`.
 */
export function parameterRoutes(): Router {
  const router = Router();
  router.post('/v1/parameters/infer', (req, res) => {
    const sample: unknown = req.body;
    if (sample === null || typeof sample !== 'object' || Array.isArray(sample))
      throw new ApiError('invalid_request', 'Send a JSON object as the sample, or {"pairs": [{"key", "value"}]}');
    const record = sample as Record<string, unknown>;
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
  return router;
}
