/**
 * Job `dispatch`: builds the REM dispatch once per submission, puts it into every local
 * recipient's INBOX and issues one Delivery (or NonDelivery) evidence per recipient, with
 * their receipts into the sender's Delil — and the acceptance's receipt, when the submission
 * left that to this job (`acceptanceReceipt` in the payload), and the sender's Sent copy
 * (`sentCopy`) — all in one commit, so a crash
 * before it leaves nothing and a retry starts clean. One job per message instead of one per
 * receipt: each job costs a claim, a load of what it needs and a commit of its own.
 */
import type { EvidenceData } from '../../evidence/model';
import { ReasonCode } from '../../evidence/reasons';
import { signDispatch } from '../../rem/dispatch';
import { deliveryRefusal, routeRecipient } from '../../policy/recipients';
import type { ClaimedJob, StoreOp } from '../../store/types';
import { evidenceOps, issueEvidence, receiptJobOp, sentCopyOp, type IssuedEvidence } from '../issue';
import { bufferSource, type RangeSource } from '../../mime';
import { inspectOriginal } from '../original';
import { loadAcceptance } from '../archived';
import type { Runtime } from '../runtime';
import { PermanentJobError } from './errors';
import { submissionEvidenceBase } from './evidence-base';
import { receiptOp, type ReceiptSubject } from './receipt';

export async function runDispatchJob(rt: Runtime, job: ClaimedJob): Promise<void> {
  const id = String(job.payload.messageId ?? '');
  const submission = await rt.store.submissions.get(id);
  if (!submission) throw new PermanentJobError(`submission ${id} not found`);
  const acceptance = await loadAcceptance(rt, id);
  if (!acceptance) throw new PermanentJobError(`acceptance evidence of ${id} not found`);
  const acceptanceData = acceptance.data;

  // An original the store keeps inline (small) is read once, for its header, the signature's
  // digest and the dispatch's bytes, which are copied anyway; a larger one is streamed for the
  // first two and kept by reference in the third.
  const bytes = submission.blob.size <= rt.config.store.inline_blob_bytes ? await rt.store.blobs.read(submission.blob.hash) : undefined;
  const source: RangeSource = bytes
    ? bufferSource(bytes)
    : {
        size: submission.blob.size,
        read: (range) => rt.store.blobs.read(submission.blob.hash, range),
        createReadStream: (range) => rt.store.blobs.createReadStream(submission.blob.hash, range),
      };
  const original = await inspectOriginal(source);

  const envelope = await signDispatch(
    {
      sender: submission.sender,
      subject: submission.subject,
      to: original.to,
      cc: original.cc,
      iletiTip: submission.iletiTip,
      iletiId: submission.iletiId,
      submittedAt: submission.submittedAt,
      original: source,
      acceptance: { evidence: acceptanceData, xml: acceptance.xml },
      providerName: rt.config.name,
      serviceAddress: rt.config.evidence.service_address,
      date: rt.now(),
    },
    rt.remSigner,
  );
  // A large original's own blob between the new bytes is not copied (BlobStore.compose).
  const dispatchBlob = await rt.store.blobs.compose([envelope.before, bytes ?? submission.blob, envelope.after], { unique: true });

  const ops: StoreOp[] = [];
  const sender = await rt.store.accounts.getById(submission.accountId);
  // The receipt made here, in this commit; without the account (never deleted today) a receipt
  // job instead, which says so and parks.
  const receipt = (ev: { data: EvidenceData; xml: Buffer }, extra: Pick<ReceiptSubject, 'internalDate' | 'dedupeKey'>): Promise<StoreOp> | StoreOp =>
    sender ? receiptOp(rt, { evidence: ev.data, xml: ev.xml, account: sender, messageId: id, ...extra }) : receiptJobOp(ev.data.identifier);
  const archive = async (ev: IssuedEvidence, uniqueKey: string): Promise<void> => {
    ops.push(...evidenceOps(ev, { messageId: id, accountId: submission.accountId, uniqueKey }, { receiptJob: false }));
    // Keyed like the evidence: should a retry run after all (its evidence is then not archived
    // again, the first one stays), it cannot add a receipt of an evidence the archive lacks.
    ops.push(await receipt(ev, { dedupeKey: `receipt:${uniqueKey}` }));
  };
  // A dispatch queued by an older version left neither to this job (its submission made them).
  if (job.payload.sentCopy === true && sender) ops.push(sentCopyOp(submission));
  if (job.payload.acceptanceReceipt === true) ops.push(await receipt(acceptance, { internalDate: acceptance.record.eventTime }));
  let deliveries = 0;
  for (const [i, address] of submission.recipients.entries()) {
    if (routeRecipient(address, rt.config).kind !== 'local') continue;
    const index = i + 1;
    const account = await rt.store.accounts.getByAddress(address);
    const base = submissionEvidenceBase(submission, acceptanceData);
    const refusal = deliveryRefusal(address, account);
    if (!account || refusal) {
      const ev = await issueEvidence(rt, {
        ...base,
        type: 'DeliveryNonDeliveryToRecipient',
        event: 'NonDelivery',
        reasons: [refusal ?? { code: ReasonCode.UnknownRecipient, details: `<${address}> does not accept messages` }],
        eventTime: rt.now(),
        refersToRecipient: index,
      });
      await archive(ev, `delivery:${id}:${index}`);
      continue;
    }
    deliveries += 1;
    ops.push({
      op: 'appendMessage',
      message: {
        accountId: account.id,
        mailboxPath: 'INBOX',
        blob: dispatchBlob,
        kind: 'dispatch',
        providerMessageId: id,
        recipientIndex: index,
        internalDate: rt.now(),
        dedupeKey: `dispatch:${id}:${index}`,
      },
    });
    const ev = await issueEvidence(rt, {
      ...base,
      type: 'DeliveryNonDeliveryToRecipient',
      event: 'Delivery',
      eventTime: rt.now(),
      refersToRecipient: index,
    });
    await archive(ev, `delivery:${id}:${index}`);
  }
  ops.push({ op: 'completeJob', job });
  await rt.store.commit(ops);
  rt.logger.info({ messageId: id, deliveries }, 'dispatch delivered');
}
