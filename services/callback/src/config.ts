import { baseConfigShape, env, envCidrList, loadConfig, workspaceLabelConfigShape } from '@flowgate/kit';
import { z } from 'zod';

/** The events stream keeps messages 7 days; a delivery's whole schedule must fit well inside. */
const MAX_SCHEDULE_S = 6 * 24 * 3600;

export const loadCallbackConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig(
    {
      ...baseConfigShape,
      ...workspaceLabelConfigShape,
      FLOWGATE_OPS_PORT: env.port(9467),
      /** Default Standard Webhooks signing secret (workspaces without their own): `whsec_` + base64 of 24–64 random bytes. */
      FLOWGATE_CALLBACK_SIGNING_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, 'must be whsec_ followed by base64 of 24-64 bytes'),
      /** 32 random bytes, base64 (the ingress key): opens the per-workspace signing secrets. */
      FLOWGATE_ENCRYPTION_KEY: z
        .string({ error: 'is required (the same key as ingress: 32 random bytes, base64)' })
        .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),
      /** Per-attempt timeout (connect, answer and body). */
      FLOWGATE_CALLBACK_TIMEOUT_MS: env.int(10_000, 100, 120_000),
      /** Delay before each attempt, in seconds: the first is the first attempt (0 = at once). */
      FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: z
        .string()
        .regex(/^\d+(,\d+)*$/, 'comma-separated seconds, e.g. 0,5,300')
        .default('0,5,300,1800,7200,18000,36000,36000')
        .transform((v) => v.split(',').map(Number))
        .refine((s) => s.length <= 50, 'at most 50 attempts')
        .refine((s) => s.reduce((a, b) => a + b, 0) <= MAX_SCHEDULE_S, 'the delays must add up to at most 6 days (518400 s)'),
      /** Each retry delay is randomised by ± this fraction, so receivers that come back are not hit by a burst. */
      FLOWGATE_CALLBACK_RETRY_JITTER: z.coerce.number().min(0).max(0.5).default(0.2),
      /** Attempts on the wire at once per replica. */
      FLOWGATE_CALLBACK_CONCURRENCY: env.int(64, 1, 4096),
      /** Attempts on the wire at once per destination (host and port) per replica. */
      FLOWGATE_CALLBACK_MAX_PER_HOST: env.int(4, 1, 1024),
      /** JetStream ack wait of the callback consumer: a crashed replica's delivery is taken over after this. */
      FLOWGATE_CALLBACK_ACK_WAIT_MS: env.int(30_000, 1_000, 600_000),
      /** Non-public destinations callbacks may reach anyway (CIDRs); empty = public addresses only. */
      FLOWGATE_EGRESS_ALLOW_CIDRS: envCidrList(),
    },
    source,
  );
export type CallbackConfig = ReturnType<typeof loadCallbackConfig>;

/** A delay from the schedule, randomised by ± `jitter`. */
export function jittered(ms: number, jitter: number, random: () => number = Math.random): number {
  if (ms <= 0) return 0;
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}
