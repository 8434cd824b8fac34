import { z } from 'zod';
import { nullableDateTime, dateTime } from '../http/schemas';

/** Response bodies of `/v1/callback-secret…`, `/v1/workflows/{id}/trigger/secrets…` and `/v1/sources/{id}/secrets…` (one shape), and `/v1/workspace/egress`. */
export const callbackSecrets = z
  .object({
    secrets: z.array(
      z.object({
        id: z.string().describe('cbs_…, or default for the deployment-wide secret'),
        current: z.boolean(),
        source: z.enum(['workspace', 'deployment']),
        created_at: nullableDateTime,
        expires_at: nullableDateTime,
      }),
    ),
  })
  .meta({ id: 'CallbackSecrets' });

export const callbackSecretCreated = callbackSecrets.extend({ id: z.string(), secret: z.string(), created_at: dateTime });

const triggerSecretFields = {
  id: z.string().regex(/^sec_/),
  method: z.string().describe("The auth method's id (default: its type)"),
  fingerprint: z.string().describe("First 8 hex characters of the secret's SHA-256"),
  created_at: dateTime,
};
export const triggerSecret = z.object(triggerSecretFields).meta({ id: 'TriggerSecret' });
export const triggerSecretList = z.object({ secrets: z.array(triggerSecret) }).meta({ id: 'TriggerSecretList' });
export const triggerSecretAdded = z.object({
  ...triggerSecretFields,
  secret: z.string().optional().describe('Only when generated: shown this once'),
  secrets: z.array(triggerSecret),
});

export const egressAllowList = z
  .object({
    allow_cidrs: z
      .array(z.string().max(64))
      .max(100)
      .describe('CIDRs with zero host bits, e.g. 10.0.0.0/8, 127.0.0.1/32, fd00::/8, ::1/128'),
  })
  .meta({ id: 'EgressAllowList' });
