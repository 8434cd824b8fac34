import { useState } from 'react';
import { ApiFailure, type Issue } from '../api';
import { ErrorNote } from '../ui';

/**
 * A workflow definition as JSON or YAML text (the API takes both). A 422's issues are listed by
 * their path (`steps[1].type`), each marking the line of the text where that path's key is.
 */
export function DefinitionEditor({
  initial,
  submitLabel,
  onSubmit,
}: {
  initial: string;
  submitLabel: string;
  onSubmit: (text: string, contentType: string) => Promise<void>;
}) {
  const [text, setText] = useState(initial);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const isJson = /^\s*[{[]/.test(text);
  const submit = async () => {
    setBusy(true);
    setIssues([]);
    setError(undefined);
    try {
      await onSubmit(text, isJson ? 'application/json' : 'application/yaml');
    } catch (e) {
      if (e instanceof ApiFailure && e.issues.length > 0) setIssues(e.issues);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="editor">
      <label htmlFor="definition">Definition ({isJson ? 'JSON' : 'YAML'})</label>
      <textarea
        id="definition"
        className="mono"
        rows={16}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={issues.length > 0}
        aria-describedby={issues.length > 0 ? 'definition-issues' : undefined}
      />
      {issues.length > 0 ? (
        <ul id="definition-issues" className="issues" aria-label="Problems in the definition">
          {issues.map((i, n) => (
            <li key={n}>
              <code>{i.path || '(definition)'}</code>
              {lineOf(text, i.path) !== null && <span className="muted"> line {lineOf(text, i.path)}</span>}: {i.message}
            </li>
          ))}
        </ul>
      ) : (
        <ErrorNote error={error} />
      )}
      <button type="button" disabled={busy} onClick={() => void submit()}>
        {busy ? 'Saving…' : submitLabel}
      </button>
    </div>
  );
}

/** The line (1-based) where the last named key of a path such as `steps[0].type` first appears after its parents' keys; null if not found. */
export function lineOf(text: string, path: string): number | null {
  const keys = path.split(/[.[\]]+/).filter((k) => k !== '' && !/^\d+$/.test(k));
  if (keys.length === 0) return null;
  let from = 0;
  for (const key of keys) {
    const re = new RegExp(`["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`, 'g');
    re.lastIndex = from;
    const m = re.exec(text);
    if (!m) return null;
    from = m.index;
  }
  return text.slice(0, from).split('\n').length;
}
