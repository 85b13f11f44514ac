/**
 * REM dispatch: what a recipient finds in INBOX — provider-signed S/MIME wrapping an
 * introduction, the original as message/rfc822 (exact bytes) and the submission evidence
 * (kep-rem.md §7, §10.6). Made as the bytes before and after the original: the original is
 * streamed once for the signature's digest, never buffered, and the store may keep the
 * dispatch as those bytes around the original's own blob instead of copying it.
 */
import type { EvidenceData } from '../evidence/model';
import type { RangeSource } from '../mime';
import { encodeText, formatAddress, newBoundary, rfc5322Date, sanitizeHeaderValue } from './format';
import { dispatchIntro, renderIntroPart } from './intro';
import { dispatchSubject } from './labels';
import { closeDelimiter, delimiter, mixedOpen, renderEvidencePart, renderOriginalPartHead } from './parts';
import { signEnvelope, type RemSigner } from './signed';

export interface DispatchInput {
  sender: string;
  subject: string;
  /** Raw To/Cc header values of the original (already 7-bit / encoded). */
  to?: string;
  cc?: string;
  iletiTip: string;
  iletiId?: string;
  submittedAt: Date;
  /** The original message; must end with CRLF. Read from memory when it is there (`bytes`), else streamed. */
  original: Pick<RangeSource, 'size' | 'createReadStream' | 'bytes'>;
  acceptance: { evidence: EvidenceData; xml: Buffer };
  providerName: string;
  serviceAddress: string;
  date: Date;
}

/** A dispatch is `before` + the original's exact bytes + `after`. */
export interface DispatchEnvelope {
  before: Buffer;
  after: Buffer;
}

export async function signDispatch(input: DispatchInput, signer: RemSigner): Promise<DispatchEnvelope> {
  const ev = input.acceptance.evidence;
  const msg = ev.message;
  if (!msg) throw new Error('acceptance evidence without message details');
  const b = newBoundary('mixed');
  const head = Buffer.from(
    mixedOpen(b) +
      renderIntroPart(
        dispatchIntro(
          {
            sender: input.sender,
            subject: input.subject,
            submittedAt: input.submittedAt,
            providerMessageId: msg.providerMessageId,
            iletiTip: input.iletiTip,
          },
          input.providerName,
        ),
      ) +
      delimiter(b) +
      renderOriginalPartHead(),
    'utf8',
  );
  // The original ends with CRLF; that CRLF is its last line, the delimiter brings its own.
  const tail = Buffer.from(delimiter(b) + renderEvidencePart(ev.type, input.acceptance.xml) + closeDelimiter(b), 'utf8');
  const envelope = await signEnvelope({
    headers: [
      ['From', formatAddress(input.serviceAddress, `On behalf of: ${input.sender}`)],
      ['Reply-To', formatAddress(input.sender)],
      ['To', input.to ? sanitizeHeaderValue(input.to) : undefined],
      ['Cc', input.cc ? sanitizeHeaderValue(input.cc) : undefined],
      ['Subject', encodeText(dispatchSubject(input.subject))],
      ['Date', rfc5322Date(input.date)],
      ['Message-ID', msg.providerMessageId],
      ['References', msg.uaMessageId],
      ['X-REM-Msg-Type', 'Dispatch'],
      ['X-REM-Message-Identifier', msg.providerMessageId],
      ['X-REM-UAMessageIdentifier', msg.uaMessageId],
      ['X-REM-Evidence-Type', ev.type],
      ['X-REM-Evidence-Identifier', ev.identifier],
      ['X-REM-DigestMethod', msg.digestSha256 ? 'http://www.w3.org/2001/04/xmlenc#sha256' : undefined],
      ['X-REM-DigestValue', msg.digestSha256?.toString('base64')],
      ['X-TR-REM-iletiTip', input.iletiTip],
      ['X-TR-REM-iletiID', input.iletiId ? sanitizeHeaderValue(input.iletiId) : undefined],
    ],
    inner: [head, input.original, tail],
    signer,
  });
  return { before: Buffer.concat([envelope.before, head]), after: Buffer.concat([tail, envelope.after]) };
}
