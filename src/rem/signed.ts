/**
 * Assembles a provider-signed S/MIME message (multipart/signed, detached CAdES signature) from
 * pieces that may be streamed, so a 100 MB original is hashed and copied without being held in
 * memory. The signed bytes are exactly the pieces, in order.
 */
import { createHash } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { base64Lines, CRLF, headerBlock, newBoundary } from './format';

/** Produces a detached CMS signature (DER) over content whose SHA-256 is given. */
export interface RemSigner {
  signDigest(sha256: Buffer): Promise<Buffer>;
}

/** Literal bytes, or a stream factory (called once per pass). */
export type Piece = Buffer | (() => Readable);

/** The pieces' bytes in order (callers loop rather than pass a callback made per call: see xml-text.ts). */
async function* chunksOf(pieces: Piece[]): AsyncGenerator<Buffer> {
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) yield p;
    else for await (const chunk of p()) yield chunk as Buffer;
  }
}

/**
 * Writes with backpressure. A destination that fails or closes ends the wait with its error
 * (a failed file write — a full disk — must fail the job, not leave it waiting for 'drain').
 */
async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed) throw out.errored ?? new Error('the destination was closed');
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(out.errored ?? new Error('the destination was closed'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    if (out.destroyed) onClose();
  });
}

export interface SignedMessageInput {
  /** Top-level header fields except MIME-Version/Content-Type (added here). */
  headers: Array<[string, string | undefined]>;
  /** The entity to sign (its own headers + body), CRLF throughout. */
  inner: Piece[];
  signer: RemSigner;
  out: Writable;
}

/** The top-level header, preamble and first delimiter of a signed message with boundary `b`. */
function signedHead(headers: SignedMessageInput['headers'], b: string): Buffer {
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

/**
 * Writes the whole message to `out` (does not end it); returns the digest that was signed.
 * One pass over the content: it is hashed as it is written, and the signature part, which
 * follows it, is made at the end. On failure (e.g. no time-stamp) part of the message has been
 * written: the caller discards `out`, as after any write error.
 */
export async function writeSignedMessage(input: SignedMessageInput): Promise<Buffer> {
  const b = newBoundary('signed');
  await write(input.out, signedHead(input.headers, b));
  const h = createHash('sha256');
  for await (const c of chunksOf(input.inner)) {
    h.update(c);
    await write(input.out, c);
  }
  const digest = h.digest();
  await write(input.out, signedTail(b, await input.signer.signDigest(digest)));
  return digest;
}

/** A signed message as the bytes around its content: the message is `before` + content + `after`. */
export interface SignedEnvelope {
  before: Buffer;
  after: Buffer;
  /** SHA-256 of the content, as signed. */
  digest: Buffer;
}

/**
 * Signs the content without writing it anywhere (one pass to hash it), for a caller that
 * stores the message as parts: the content may be bytes it already has stored (a dispatch's
 * original), which then need not be copied.
 */
export async function signEnvelope(input: Omit<SignedMessageInput, 'out'>): Promise<SignedEnvelope> {
  const b = newBoundary('signed');
  const before = signedHead(input.headers, b);
  const h = createHash('sha256');
  for await (const c of chunksOf(input.inner)) h.update(c);
  const digest = h.digest();
  return { before, after: signedTail(b, await input.signer.signDigest(digest)), digest };
}

/** Collects a Writable's output in memory (for small messages such as receipts). */
export class BufferSink {
  private readonly chunks: Buffer[] = [];
  readonly stream: Writable;
  constructor() {
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.chunks.push(chunk);
        cb();
      },
    });
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
