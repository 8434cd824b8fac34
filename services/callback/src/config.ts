import { baseConfigShape, env, loadConfig } from '@flowgate/kit';
import { z } from 'zod';

export const loadCallbackConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig(
    {
      ...baseConfigShape,
      FLOWGATE_OPS_PORT: env.port(9467),
      /** Standard Webhooks signing secret: `whsec_` + base64 of 24–64 random bytes. */
      FLOWGATE_CALLBACK_SIGNING_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, 'must be whsec_ followed by base64 of 24-64 bytes'),
      FLOWGATE_CALLBACK_TIMEOUT_MS: env.int(10_000, 100, 120_000),
      /** Delay before each attempt, in seconds: the first is immediate. */
      FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: z
        .string()
        .regex(/^\d+(,\d+)*$/, 'comma-separated seconds, e.g. 0,5,300')
        .default('0,5,300,1800,7200,18000,36000,36000')
        .transform((v) => v.split(',').map(Number)),
      FLOWGATE_CALLBACK_CONCURRENCY: env.int(64, 1, 4096),
    },
    source,
  );
export type CallbackConfig = ReturnType<typeof loadCallbackConfig>;
