import type { SecretBox } from '@flowgate/kit';
import { DEFAULT_CALLBACK_SECRET_ID, findCallbackSecrets, validCallbackSecrets, type Collections } from '@flowgate/store';
import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks signers of a workspace at a moment: its valid secrets (current first), or
 * the deployment-wide default secret. The document is read on every attempt (a primary-key lookup),
 * so a rotation applies to the next attempt; opened secrets are cached by entry id.
 */
export class WorkspaceSigners {
  private readonly opened = new Map<string, Webhook>();
  private readonly fallback: Webhook;

  constructor(
    private readonly secrets: Collections['callbackSecrets'],
    private readonly box: SecretBox,
    defaultSecret: string,
  ) {
    this.fallback = new Webhook(defaultSecret);
  }

  async forWorkspace(workspaceId: string, now: Date): Promise<Webhook[]> {
    const doc = await findCallbackSecrets(this.secrets, workspaceId);
    return validCallbackSecrets(doc, now).map((entry) => {
      if (entry.id === DEFAULT_CALLBACK_SECRET_ID || entry.sealed === null) return this.fallback;
      let signer = this.opened.get(entry.id);
      if (!signer) {
        signer = new Webhook(this.box.decrypt(entry.sealed));
        this.opened.set(entry.id, signer);
      }
      return signer;
    });
  }
}
