import { useState } from 'react';
import { api } from '../api';
import { ErrorNote, Json, Section, time, useAction } from '../ui';

interface Capture {
  status: string;
  expires_at: string;
  captured_at: string | null;
  request: unknown;
  parameters: unknown;
}

/** Parameter capture (listen for the next webhook request) and inference from a sample JSON object. */
export function ParameterTools({ id }: { id: string }) {
  const [capture, setCapture] = useState<Capture | null>(null);
  const [sample, setSample] = useState('{"order_id": "o-1", "amount": 12.5}');
  const [inferred, setInferred] = useState<unknown>();
  const action = useAction();
  const start = () =>
    action.run(async () => setCapture(await api<Capture>('POST', `/v1/workflows/${id}/parameters/capture`, { body: {} })));
  const refresh = () => action.run(async () => setCapture(await api<Capture>('GET', `/v1/workflows/${id}/parameters/capture`)));
  const infer = () =>
    action.run(async () => {
      let body: unknown;
      try {
        body = JSON.parse(sample);
      } catch {
        throw new Error('The sample is not valid JSON');
      }
      setInferred(await api('POST', '/v1/parameters/infer', { body }));
    });
  return (
    <Section title="Parameters">
      <div className="actions">
        <button type="button" className="secondary" disabled={action.busy} onClick={() => void start()}>
          Capture the next request
        </button>
        {capture && (
          <button type="button" className="secondary" disabled={action.busy} onClick={() => void refresh()}>
            Refresh capture
          </button>
        )}
      </div>
      {capture && (
        <>
          <p>
            Capture: {capture.status} (until {time(capture.expires_at)})
          </p>
          {capture.parameters !== null && <Json value={capture.parameters} label="Captured parameters" />}
        </>
      )}
      <label htmlFor="sample">Infer from a sample (JSON object)</label>
      <textarea id="sample" className="mono" rows={3} value={sample} onChange={(e) => setSample(e.target.value)} />
      <div className="actions">
        <button type="button" className="secondary" disabled={action.busy} onClick={() => void infer()}>
          Infer parameters
        </button>
      </div>
      {inferred !== undefined && <Json value={inferred} label="Inferred parameters" />}
      <ErrorNote error={action.error} />
    </Section>
  );
}
