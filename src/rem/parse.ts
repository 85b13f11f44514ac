/**
 * Reads a REM message (dispatch or receipt) back: the signed entity's byte range, the detached
 * signature, the evidence XML attachments and the original's byte range. Byte-exact; the
 * bodies are not loaded except the small evidence and signature parts.
 */
import { getHeader, MimeFormatError, scanEntity, subSource, type ContentType, type HeaderField, type RangeSource } from '../mime';

export interface RemEvidencePart {
  filename: string;
  xml: Buffer;
}

export interface ParsedRemMessage {
  headers: { name: string; value: string }[];
  /** The multipart/signed first part: the exact bytes the provider signed. */
  signed: { start: number; end: number };
  signatureDer: Buffer;
  evidences: RemEvidencePart[];
  /** Byte range of the original message (message/rfc822 body) in a dispatch. */
  original?: { start: number; end: number };
}

function decodeBody(body: Buffer, headers: HeaderField[]): Buffer {
  const cte = (getHeader(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  return body;
}

function filenameOf(ct: ContentType, disposition: string | undefined): string {
  const m = disposition ? /filename\*?="?([^";]+)"?/i.exec(disposition) : null;
  return m?.[1] ?? ct.params.name ?? '';
}

export async function parseRemMessage(src: RangeSource): Promise<ParsedRemMessage> {
  const top = await scanEntity(src);
  if (top.contentType.mime !== 'multipart/signed' || !top.parts || top.parts.length < 2) {
    throw new MimeFormatError(`not a provider-signed REM message (top-level ${top.contentType.mime})`);
  }
  const [signedRange, sigRange] = top.parts as [{ start: number; end: number }, { start: number; end: number }];
  const sigSrc = subSource(src, sigRange.start, sigRange.end);
  const sigEntity = await scanEntity(sigSrc);
  if (!/^application\/(x-)?pkcs7-signature$/.test(sigEntity.contentType.mime)) {
    throw new MimeFormatError(`second part is ${sigEntity.contentType.mime}, not a pkcs7 signature`);
  }
  const signatureDer = decodeBody(await sigSrc.read({ start: sigEntity.headerEnd }), sigEntity.headers);

  const innerSrc = subSource(src, signedRange.start, signedRange.end);
  const inner = await scanEntity(innerSrc);
  const evidences: RemEvidencePart[] = [];
  let original: { start: number; end: number } | undefined;
  for (const part of inner.parts ?? []) {
    const partSrc = subSource(innerSrc, part.start, part.end);
    const entity = await scanEntity(partSrc);
    const name = filenameOf(entity.contentType, getHeader(entity.headers, 'content-disposition'));
    if (entity.contentType.mime === 'message/rfc822') {
      original = { start: signedRange.start + part.start + entity.headerEnd, end: signedRange.start + part.end };
    } else if (/^(application|text)\/xml$/.test(entity.contentType.mime) && name.toLowerCase().endsWith('.xml')) {
      evidences.push({ filename: name, xml: decodeBody(await partSrc.read({ start: entity.headerEnd }), entity.headers) });
    }
  }
  return {
    headers: top.headers.map((h) => ({ name: h.name, value: h.value })),
    signed: signedRange,
    signatureDer,
    evidences,
    original,
  };
}
