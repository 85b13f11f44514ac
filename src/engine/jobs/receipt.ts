/** Job `receipt`: renders an archived evidence as a REM receipt into the sender's Delil. */
import { buildReceipt } from '../../rem/receipt';
import type { ClaimedJob } from '../../store/types';
import { loadEvidence } from '../archived';
import type { Runtime } from '../runtime';
import { PermanentJobError } from './errors';

export async function runReceiptJob(rt: Runtime, job: ClaimedJob): Promise<void> {
  const evidenceId = String(job.payload.evidenceId ?? '');
  const found = await loadEvidence(rt, evidenceId);
  if (!found) throw new PermanentJobError(`evidence ${evidenceId} is not in the archive`);
  const { record, xml, data: evidence } = found;
  if (!record.accountId) throw new PermanentJobError(`evidence ${evidenceId} has no sender account`);
  const account = await rt.store.accounts.getById(record.accountId);
  if (!account) throw new PermanentJobError(`account ${record.accountId} of evidence ${evidenceId} not found`);
  const bytes = await buildReceipt(
    {
      evidence,
      xml,
      providerName: rt.config.name,
      serviceAddress: rt.config.evidence.service_address,
      to: account.address,
      date: rt.now(),
    },
    rt.remSigner,
  );
  const blob = await rt.store.blobs.put(bytes);
  await rt.store.commit([
    {
      op: 'appendMessage',
      message: {
        accountId: account.id,
        mailboxPath: 'Delil',
        blob,
        kind: 'receipt',
        evidenceId,
        providerMessageId: record.messageId,
        internalDate: record.eventTime,
        dedupeKey: `receipt:${evidenceId}`,
      },
    },
    { op: 'completeJob', job },
  ]);
}
