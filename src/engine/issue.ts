/**
 * Issuing an evidence: fill in the issuer, give it an identifier, sign and time-stamp it, and
 * describe the store ops that archive it and deliver its REM receipt to the sender's Delil.
 * Signing throws TimeStampUnavailable when no token can be had: no evidence without a token.
 */
import type { EvidenceData } from '../evidence/model';
import { newEvidenceId } from '../evidence';
import { evidenceToJson } from '../evidence/json';
import type { StoreOp, SubmissionRecord } from '../store/types';
import type { Runtime } from './runtime';

export type EvidenceDraft = Omit<EvidenceData, 'id' | 'identifier' | 'issuer' | 'policyIds'>;

export interface IssuedEvidence {
  data: EvidenceData;
  xml: Buffer;
}

export async function issueEvidence(rt: Runtime, draft: EvidenceDraft): Promise<IssuedEvidence> {
  const { id, identifier } = newEvidenceId(rt.config.domain, draft.eventTime.getTime());
  const data: EvidenceData = {
    ...draft,
    id,
    identifier,
    issuer: { name: rt.config.name, address: rt.config.evidence.service_address },
    policyIds: rt.config.evidence.policy_id ? [rt.config.evidence.policy_id] : undefined,
  };
  const xml = await rt.evidenceSigner.sign(data);
  return { data, xml };
}

export interface ArchiveTarget {
  /** Provider message id (bare) the evidence is about. */
  messageId?: string;
  /** The sender account whose Delil receives the receipt. */
  accountId?: string;
  /** Idempotency key of this evidence (e.g. `delivery:<id>:<n>`). */
  uniqueKey?: string;
}

/**
 * Ops that archive the evidence and schedule its receipt to the sender (unless the caller
 * commits the receipt itself: `receiptJob: false`).
 */
export function evidenceOps(ev: IssuedEvidence, target: ArchiveTarget, options: { receiptJob?: boolean } = {}): StoreOp[] {
  const ops: StoreOp[] = [
    {
      op: 'putEvidence',
      evidence: {
        record: {
          id: ev.data.identifier,
          type: ev.data.type,
          event: ev.data.event,
          messageId: target.messageId,
          recipientIndex: ev.data.refersToRecipient,
          reasonCode: ev.data.reasons?.[0]?.code,
          accountId: target.accountId,
          eventTime: ev.data.eventTime,
        },
        xml: ev.xml,
        data: evidenceToJson(ev.data),
        uniqueKey: target.uniqueKey,
      },
    },
  ];
  if (target.accountId && options.receiptJob !== false) ops.push(receiptJobOp(ev.data.identifier));
  return ops;
}

/** The job that renders an archived evidence as a receipt into its sender's Delil (jobs/receipt.ts). */
export function receiptJobOp(evidenceId: string): StoreOp {
  return { op: 'enqueueJob', job: { kind: 'receipt', payload: { evidenceId }, uniqueKey: `receipt:${evidenceId}` } };
}

/**
 * The sender's copy of what it submitted, in its Sent folder: made by the acceptance commit,
 * or by the dispatch job's commit when there is one (keyed, so a retry adds no second copy).
 */
export function sentCopyOp(submission: SubmissionRecord): StoreOp {
  return {
    op: 'appendMessage',
    message: {
      accountId: submission.accountId,
      mailboxPath: 'Sent',
      blob: submission.blob,
      kind: 'sent',
      flags: ['\\Seen'],
      internalDate: submission.submittedAt,
      providerMessageId: submission.id,
      dedupeKey: `sent:${submission.id}`,
    },
  };
}

/** `<ID@domain>`: the Message-ID form of a provider message id (MessageIdentifierByREMMD). */
export function providerMessageIdFor(id: string, domain: string): string {
  return `<${id}@${domain}>`;
}
