/** MIME parts shared by REM dispatches and receipts. */
import type { EvidenceType } from '../evidence/model';
import { base64Lines, CRLF, headerBlock } from './format';

/** An evidence XML attachment named `<EvidenceElement>.xml` (interface.md "Mailboxes"). */
export function renderEvidencePart(type: EvidenceType, xml: Buffer): string {
  const name = `${type}.xml`;
  return (
    headerBlock([
      ['Content-Type', `application/xml; charset=UTF-8; name="${name}"`],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', `attachment; filename="${name}"`],
      ['X-REM-Section-Type', 'Evidence'],
    ]) +
    CRLF +
    base64Lines(xml)
  );
}

/** Headers of the message/rfc822 part that carries the original, byte for byte. */
export function renderOriginalPartHead(): string {
  return (
    headerBlock([
      ['Content-Type', 'message/rfc822; name="original.eml"'],
      ['Content-Transfer-Encoding', 'binary'],
      ['Content-Disposition', 'attachment; filename="original.eml"'],
      ['X-REM-Section-Type', 'Original'],
    ]) + CRLF
  );
}

/** Opening of a multipart/mixed entity: its headers and the first delimiter. */
export function mixedOpen(boundary: string): string {
  return headerBlock([['Content-Type', `multipart/mixed; boundary="${boundary}"`]]) + CRLF + `--${boundary}${CRLF}`;
}

export const delimiter = (boundary: string): string => `${CRLF}--${boundary}${CRLF}`;
export const closeDelimiter = (boundary: string): string => `${CRLF}--${boundary}--${CRLF}`;
