/**
 * A provider-signed S/MIME message (multipart/signed, detached CAdES signature) as the bytes
 * around its content: the content is given as pieces that may be streamed (a 100 MB original
 * is hashed without being held in memory) and is not copied here; the caller puts the message
 * together (a receipt in memory, a dispatch as a composite blob around its original).
 */
import { createHash } from 'node:crypto';
import { rangeChunks, type RangeSource } from '../mime';
import { base64Lines, CRLF, headerBlock, newBoundary } from './format';

/** Produces a detached CMS signature (DER) over content whose SHA-256 is given. */
export interface RemSigner {
  signDigest(sha256: Buffer): Promise<Buffer>;
}

/** Literal bytes, or a source read from memory when it holds its bytes, else streamed. */
export type Piece = Buffer | Pick<RangeSource, 'bytes' | 'createReadStream'>;

/** The pieces' bytes in order (callers loop rather than pass a callback made per call: see xml-text.ts). */
async function* chunksOf(pieces: Piece[]): AsyncGenerator<Buffer> {
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) yield p;
    else yield* rangeChunks(p);
  }
}

export interface SignedEnvelopeInput {
  /** Top-level header fields except MIME-Version/Content-Type (added here). */
  headers: Array<[string, string | undefined]>;
  /** The entity to sign (its own headers + body), CRLF throughout. */
  inner: Piece[];
  signer: RemSigner;
}

/** The top-level header, preamble and first delimiter of a signed message with boundary `b`. */
function signedHead(headers: SignedEnvelopeInput['headers'], b: string): Buffer {
  const head =
    headerBlock([
      ...headers,
      ['MIME-Version', '1.0'],
      ['Content-Type', `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"`],
    ]) +
    CRLF +
    `This is a KEP message signed by its provider (S/MIME).${CRLF}${CRLF}--${b}${CRLF}`;
  return Buffer.from(head, 'utf8');
}

/** The signature part and the close delimiter that follow the signed content. */
function signedTail(b: string, signature: Buffer): Buffer {
  const tail =
    `${CRLF}--${b}${CRLF}` +
    headerBlock([
      ['Content-Type', 'application/pkcs7-signature; name="smime.p7s"'],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', 'attachment; filename="smime.p7s"'],
    ]) +
    CRLF +
    base64Lines(signature) +
    `${CRLF}--${b}--${CRLF}`;
  return Buffer.from(tail, 'utf8');
}

/** A signed message as the bytes around its content: the message is `before` + content + `after`. */
export interface SignedEnvelope {
  before: Buffer;
  after: Buffer;
  /** SHA-256 of the content, as signed. */
  digest: Buffer;
}

/** Signs the content (one pass to hash it) and returns the bytes that go before and after it. */
export async function signEnvelope(input: SignedEnvelopeInput): Promise<SignedEnvelope> {
  const b = newBoundary('signed');
  const before = signedHead(input.headers, b);
  const h = createHash('sha256');
  for await (const c of chunksOf(input.inner)) h.update(c);
  const digest = h.digest();
  return { before, after: signedTail(b, await input.signer.signDigest(digest)), digest };
}
