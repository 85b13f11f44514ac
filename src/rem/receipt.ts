/**
 * REM receipt: a provider-signed S/MIME message carrying one evidence, delivered to the
 * sender's Delil folder (interface.md "Mailboxes"; kep-rem.md §7).
 */
import type { EvidenceData } from '../evidence/model';
import { ReasonCode } from '../evidence/reasons';
import { encodeText, formatAddress, newBoundary, rfc5322Date } from './format';
import { receiptIntro, renderIntroPart } from './intro';
import { receiptSubject } from './labels';
import { closeDelimiter, delimiter, mixedOpen, renderEvidencePart } from './parts';
import { signEnvelope, type RemSigner } from './signed';

export interface ReceiptInput {
  evidence: EvidenceData;
  /** The signed evidence XML exactly as archived. */
  xml: Buffer;
  providerName: string;
  serviceAddress: string;
  /** Sender's address: receipts go to the sender. */
  to: string;
  date: Date;
}

export async function buildReceipt(input: ReceiptInput, signer: RemSigner): Promise<Buffer> {
  const ev = input.evidence;
  const b = newBoundary('mixed');
  const inner = Buffer.from(
    mixedOpen(b) +
      renderIntroPart(receiptIntro(ev, input.providerName)) +
      delimiter(b) +
      renderEvidencePart(ev.type, input.xml) +
      closeDelimiter(b),
    'utf8',
  );
  const refs = [ev.message?.uaMessageId, ev.message?.providerMessageId].filter((x): x is string => !!x);
  const reason = ev.reasons?.[0];
  const envelope = await signEnvelope({
    headers: [
      ['From', formatAddress(input.serviceAddress, input.providerName)],
      ['To', formatAddress(input.to)],
      ['Subject', encodeText(receiptSubject(ev.type, ev.event, ev.message?.subject ?? ''))],
      ['Date', rfc5322Date(input.date)],
      ['Message-ID', `<${ev.identifier}>`],
      ['In-Reply-To', ev.message?.providerMessageId],
      ['References', refs.length ? refs.join(' ') : undefined],
      ['Auto-Submitted', 'auto-generated'],
      ['X-REM-Msg-Type', 'Message'],
      ['X-REM-Evidence-Type', ev.type],
      ['X-REM-Evidence-Identifier', ev.identifier],
      ['X-REM-Message-Identifier', ev.message?.providerMessageId],
      ['X-REM-Event', ev.event],
      ['X-REM-Event-Reason', reason ? `${ReasonCode[reason.code]} (${reason.code})` : undefined],
    ],
    inner: [inner],
    signer,
  });
  return Buffer.concat([envelope.before, inner, envelope.after]);
}
