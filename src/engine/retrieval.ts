/**
 * The "read" trigger: the first time a recipient fetches body content of a dispatch, a durable
 * job is enqueued with a unique key, so the Retrieval evidence is issued exactly once per
 * recipient and message whatever the number of sessions. Resolves only when that is durable.
 */
import type { MessageRecord } from '../store/types';
import type { Runtime } from './runtime';

export function createRetrievalRecorder(
  rt: Runtime,
): (message: MessageRecord, accountId: string, reader?: { operator?: string }) => Promise<void> {
  return async (message, accountId, reader) => {
    if (message.kind !== 'dispatch' || !message.providerMessageId || !message.recipientIndex) return;
    if (message.accountId !== accountId) return;
    await rt.store.commit([
      {
        op: 'enqueueJob',
        job: {
          kind: 'retrieval',
          payload: {
            messageId: message.providerMessageId,
            recipientIndex: message.recipientIndex,
            accountId,
            at: rt.now().toISOString(),
            // the operator who opened an entity's mail is named as its delegate in the evidence
            ...(reader?.operator !== undefined ? { operator: reader.operator } : {}),
          },
          uniqueKey: `retrieval:${message.providerMessageId}:${message.recipientIndex}`,
        },
      },
    ]);
  };
}
