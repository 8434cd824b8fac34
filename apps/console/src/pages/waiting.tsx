import { useState } from 'react';
import type { Execution } from '../types';
import { ErrorNote, Section, time, useAction } from '../ui';

/**
 * A waiting execution: an approval (approve / reject with a comment), a wait for a webhook (resume
 * with a JSON body) or a delay (when it resumes). Approve, reject and resume POST to the public URLs
 * of waiting_payload, as a reviewer's link would.
 */
export function WaitingPanel({
  execution,
  onDone,
  post,
}: {
  execution: Execution;
  onDone: (e?: Execution) => void;
  post: <T>(url: string, body: unknown) => Promise<T>;
}) {
  const payload = execution.waiting_payload ?? {};
  const action = useAction();
  const [comment, setComment] = useState('');
  const [resumeBody, setResumeBody] = useState('{}');
  const decide = (url: string | undefined) =>
    action.run(async () => {
      if (!url) throw new Error('No URL for this decision');
      await post(url, comment ? { comment } : {});
      onDone();
    });
  const resume = () =>
    action.run(async () => {
      if (!payload.resume_url) throw new Error('No resume URL');
      let body: unknown;
      try {
        body = JSON.parse(resumeBody);
      } catch {
        throw new Error('The resume body is not valid JSON');
      }
      await post(payload.resume_url, body);
      onDone();
    });
  return (
    <Section title={`Waiting: ${execution.waiting_reason ?? 'unknown'}`}>
      {payload.message && <p className="message">{payload.message}</p>}
      <p className="muted">Expires: {time(execution.waiting_expires_at)}</p>
      {execution.waiting_reason === 'approval' && (
        <>
          <label htmlFor="approval-comment">Comment (optional)</label>
          <input id="approval-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          <div className="actions">
            <button type="button" disabled={action.busy} onClick={() => void decide(payload.approve_url)}>
              Approve
            </button>
            <button type="button" className="danger" disabled={action.busy} onClick={() => void decide(payload.reject_url)}>
              Reject
            </button>
          </div>
        </>
      )}
      {execution.waiting_reason === 'webhook' && (
        <>
          <label htmlFor="resume-body">Resume body (JSON)</label>
          <textarea id="resume-body" rows={4} value={resumeBody} onChange={(e) => setResumeBody(e.target.value)} />
          <div className="actions">
            <button type="button" disabled={action.busy} onClick={() => void resume()}>
              Resume
            </button>
          </div>
        </>
      )}
      {execution.waiting_reason === 'delay' && <p>Resumes at {time(payload.resume_at ?? null)}.</p>}
      <ErrorNote error={action.error} />
    </Section>
  );
}
