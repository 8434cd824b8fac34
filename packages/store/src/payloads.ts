import { Binary, type Collection } from 'mongodb';
import type { ExecutionDoc, PayloadChunkDoc } from './documents';

/**
 * Large trigger inputs (webhook bodies up to 16 MiB) are stored out of line: a NATS message is
 * bounded by the server's `max_payload` (1 MiB by default) and a MongoDB document by 16 MiB, so the
 * start command and the execution document carry a reference and a stub instead. The JSON text is
 * split into binary chunks of at most 2 MiB (`payloads`, keyed `<id>:<seq>`); FerretDB 1.x has no
 * GridFS guarantees, plain documents work on both servers.
 */
export const PAYLOAD_CHUNK_BYTES = 2 * 1024 * 1024;

/** Writes (or rewrites, idempotently) a payload. */
export async function savePayload(
  payloads: Collection<PayloadChunkDoc>,
  id: string,
  workspaceId: string,
  text: string,
  now: Date,
): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  const chunks = Math.max(1, Math.ceil(bytes.length / PAYLOAD_CHUNK_BYTES));
  for (let seq = 0; seq < chunks; seq++) {
    const data = bytes.subarray(seq * PAYLOAD_CHUNK_BYTES, (seq + 1) * PAYLOAD_CHUNK_BYTES);
    const doc: PayloadChunkDoc = { _id: `${id}:${seq}`, payload_id: id, workspace_id: workspaceId, seq, chunks, data, created_at: now };
    await payloads.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }
}

/**
 * Removes a payload no execution will read (a debounced event's input superseded by a later event of
 * its window), chunk by chunk by `_id` only (a filter on `payload_id` would scan on FerretDB).
 */
export async function deletePayload(payloads: Collection<PayloadChunkDoc>, id: string): Promise<void> {
  for (let seq = 0; ; seq++) {
    const { deletedCount } = await payloads.deleteOne({ _id: `${id}:${seq}` });
    if (deletedCount === 0) return;
  }
}

/** The payload's text; throws if a chunk is missing (never a half payload). */
export async function loadPayload(payloads: Collection<PayloadChunkDoc>, id: string): Promise<string> {
  const docs = await payloads.find({ payload_id: id }).sort({ seq: 1 }).toArray();
  const chunks = docs[0]?.chunks ?? 0;
  if (docs.length === 0 || docs.length !== chunks || docs.some((d, i) => d.seq !== i))
    throw new Error(`payload ${id} is incomplete (${docs.length} of ${chunks} chunks)`);
  return Buffer.concat(docs.map((d) => toBuffer(d.data))).toString('utf8');
}

/** The driver hands binary fields back as BSON `Binary`. */
function toBuffer(data: unknown): Buffer {
  if (data instanceof Binary) return Buffer.from(data.buffer.buffer, data.buffer.byteOffset, data.position);
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error('payload chunk is not binary');
}

/** The full trigger input JSON of an execution (loaded from `payloads` when it was offloaded). */
export async function triggerInputJsonOf(
  payloads: Collection<PayloadChunkDoc>,
  doc: Pick<ExecutionDoc, 'trigger_input_json' | 'trigger_input_ref'>,
): Promise<string> {
  return doc.trigger_input_ref ? loadPayload(payloads, doc.trigger_input_ref) : doc.trigger_input_json;
}
