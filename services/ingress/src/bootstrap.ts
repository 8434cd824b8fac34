import { randomToken, sha256Hex, type Logger } from '@flowgate/kit';
import { anyApiKey, createApiKey, ensureWorkspace, grantBootstrapScopes, replaceApiKeyIfChanged, type Collections } from '@flowgate/store';

export const DEFAULT_WORKSPACE = 'default';
const BOOTSTRAP_KEY_ID = 'key_bootstrap';
/** The bootstrap key administers the default workspace and is the installation's operator (the one key with that scope). */
const BOOTSTRAP_SCOPES = ['admin', 'operator'];

/**
 * Makes sure the default workspace and a first API key exist. With FLOWGATE_BOOTSTRAP_API_KEY the
 * key is that value (its hash is stored); without it, a key is generated once, on the first start
 * of an empty database, and printed to stderr once. Safe with several replicas starting together.
 * The bootstrap key is an admin key of the default workspace and the operator of the installation
 * (`/v1/workspaces`; a key of a bootstrap made before that gains the scope at the next start). Revoking it through the API sticks across restarts; setting
 * FLOWGATE_BOOTSTRAP_API_KEY to a new value replaces it (and makes it active again): the way back in
 * when no admin key is left.
 */
export async function bootstrap(store: Collections, configuredKey: string | undefined, logger: Logger): Promise<void> {
  const now = new Date();
  await ensureWorkspace(store.workspaces, { _id: DEFAULT_WORKSPACE, name: 'Default', created_at: now });
  if (configuredKey) {
    const key = { key_hash: sha256Hex(configuredKey), key_prefix: configuredKey.slice(0, 8), revoked_at: null, scopes: BOOTSTRAP_SCOPES };
    const created = await createApiKey(store.apiKeys, {
      _id: BOOTSTRAP_KEY_ID,
      workspace_id: DEFAULT_WORKSPACE,
      name: 'bootstrap',
      created_at: now,
      ...key,
    });
    // Only a changed value replaces the stored key: the same value does not undo a revocation.
    if (!created) await replaceApiKeyIfChanged(store.apiKeys, BOOTSTRAP_KEY_ID, { ...key, created_at: now });
    await grantBootstrapScopes(store.apiKeys, BOOTSTRAP_KEY_ID, BOOTSTRAP_SCOPES);
    return;
  }
  await grantBootstrapScopes(store.apiKeys, BOOTSTRAP_KEY_ID, BOOTSTRAP_SCOPES);
  if (await anyApiKey(store.apiKeys)) return;
  const key = randomToken('fgk_');
  const created = await createApiKey(store.apiKeys, {
    _id: BOOTSTRAP_KEY_ID,
    workspace_id: DEFAULT_WORKSPACE,
    name: 'bootstrap',
    key_hash: sha256Hex(key),
    key_prefix: key.slice(0, 8),
    scopes: BOOTSTRAP_SCOPES,
    created_at: now,
    revoked_at: null,
  });
  if (!created) return; // another replica created it first
  process.stderr.write(`\nFlowgate generated the first API key (shown once, store it now):\n\n  ${key}\n\n`);
  logger.info({ key_prefix: key.slice(0, 8) }, 'generated bootstrap API key');
}
