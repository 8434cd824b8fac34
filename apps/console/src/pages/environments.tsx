import { api } from '../api';
import type { Workflow } from '../types';
import { CopyButton, ErrorNote, Section, useAction } from '../ui';

const ENVIRONMENTS = ['development', 'staging', 'production'] as const;

/** Each environment's webhook URLs (async, sync), the version it runs, copy-as-cURL, enable / disable. */
export function Environments({ workflow, onChange }: { workflow: Workflow; onChange: (w: Workflow) => void }) {
  const action = useAction();
  const toggle = (environment: string, enabled: boolean) =>
    action.run(async () => {
      onChange(await api<Workflow>('PATCH', `/v1/workflows/${workflow.id}/trigger`, { body: { enabled, environment } }));
    });
  return (
    <Section title="Environments">
      <ErrorNote error={action.error} />
      <div className="envs">
        {ENVIRONMENTS.map((env) => {
          const t = workflow.triggers[env];
          if (!t) return null;
          return (
            <article key={env} className="env" aria-label={`${env} webhook`}>
              <h3>
                {env}{' '}
                <span className="tag">{t.version === null ? 'runs nothing yet' : t.version === 'draft' ? 'draft' : `v${t.version}`}</span>
                <span className={`tag ${t.enabled ? 'ok' : 'off'}`}>{t.enabled ? 'enabled' : 'disabled'}</span>
              </h3>
              <dl className="facts">
                <dt>Async URL</dt>
                <dd className="url">
                  <code data-env-url={env}>{t.async}</code> <CopyButton text={t.async} label={`Copy the ${env} URL`} />
                </dd>
                <dt>Sync URL</dt>
                <dd className="url">
                  <code>{t.sync}</code> <CopyButton text={t.sync} label={`Copy the ${env} sync URL`} />
                </dd>
                <dt>cURL</dt>
                <dd className="url">
                  <code>{t.curl}</code> <CopyButton text={t.curl} label={`Copy the ${env} cURL command`} />
                </dd>
              </dl>
              <button type="button" className="secondary" disabled={action.busy} onClick={() => void toggle(env, !t.enabled)}>
                {t.enabled ? `Disable ${env}` : `Enable ${env}`}
              </button>
            </article>
          );
        })}
      </div>
    </Section>
  );
}
