/**
 * REM receipts: an archived evidence rendered as a signed message into the sender's Delil.
 * The dispatch job makes the receipts of the evidences it issues itself, in its own commit;
 * job `receipt` does it for every other evidence (rejections, reads, older queues).
 */
import type { EvidenceData } from '../../evidence/model';
import { buildReceipt } from '../../rem/receipt';
import type { AccountRecord, ClaimedJob, StoreOp } from '../../store/types';
import { loadEvidence } from '../archived';
import type { Runtime } from '../runtime';
import { PermanentJobError } from './errors';

export interface ReceiptSubject {
  evidence: EvidenceData;
  /** The signed evidence as archived. */
  xml: Buffer;
  /** The sender, whose Delil receives it. */
  account: AccountRecord;
  /** Provider message id (bare) the evidence is about. */
  messageId?: string;
  /** The receipt's INTERNALDATE: the archive record's event time (the evidence's own by default). */
  internalDate?: Date;
  /** What makes the receipt once-only (default `receipt:<evidence id>`, as receipt jobs use). */
  dedupeKey?: string;
}

/** Builds and stores (staged) the receipt; the op appends it, once per evidence. */
export async function receiptOp(rt: Runtime, s: ReceiptSubject): Promise<StoreOp> {
  const bytes = await buildReceipt(
    {
      evidence: s.evidence,
      xml: s.xml,
      providerName: rt.config.name,
      serviceAddress: rt.config.evidence.service_address,
      to: s.account.address,
      date: rt.now(),
    },
    rt.remSigner,
  );
  const blob = await rt.store.blobs.put(bytes, { unique: true });
  const evidenceId = s.evidence.identifier;
  return {
    op: 'appendMessage',
    message: {
      accountId: s.account.id,
      mailboxPath: 'Delil',
      blob,
      kind: 'receipt',
      evidenceId,
      providerMessageId: s.messageId,
      internalDate: s.internalDate ?? s.evidence.eventTime,
      dedupeKey: s.dedupeKey ?? `receipt:${evidenceId}`,
    },
  };
}

export async function runReceiptJob(rt: Runtime, job: ClaimedJob): Promise<void> {
  const evidenceId = String(job.payload.evidenceId ?? '');
  const found = await loadEvidence(rt, evidenceId);
  if (!found) throw new PermanentJobError(`evidence ${evidenceId} is not in the archive`);
  const { record, xml, data: evidence } = found;
  if (!record.accountId) throw new PermanentJobError(`evidence ${evidenceId} has no sender account`);
  const account = await rt.store.accounts.getById(record.accountId);
  if (!account) throw new PermanentJobError(`account ${record.accountId} of evidence ${evidenceId} not found`);
  const op = await receiptOp(rt, { evidence, xml, account, messageId: record.messageId, internalDate: record.eventTime });
  await rt.store.commit([op, { op: 'completeJob', job }]);
}
