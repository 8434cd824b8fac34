import type { Collection } from 'mongodb';
import type { DeadLetterDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/** Records a message given up on; keyed by consumer and stream sequence, so repeating it is harmless. */
export async function recordDeadLetter(
  deadLetters: Collection<DeadLetterDoc>,
  entry: { consumer: string; streamSequence: number; subject: string; data: string; reason: string; deliveryCount: number },
): Promise<void> {
  await insertIfAbsent(deadLetters, {
    _id: `${entry.consumer}:${entry.streamSequence}`,
    consumer: entry.consumer,
    subject: entry.subject,
    data: entry.data,
    reason: entry.reason,
    delivery_count: entry.deliveryCount,
    created_at: new Date(),
  });
}
