/**
 * Verification of a user's S/MIME-signed original message, byte-exact as received:
 * multipart/signed (RFC 8551 3.5.3, the first part's exact bytes are signed) or opaque
 * application/pkcs7-mime signed-data. The signer must be allowed to protect e-mail.
 */
import { MimeFormatError } from '../mime/errors';
import { getHeader } from '../mime/headers';
import { scanEntity } from '../mime/scan-entity';
import { hashRange, subSource } from '../mime/sources';
import type { PartRange, RangeSource } from '../mime/types';
import { nodeHashName, type DigestAlgorithm } from './algorithms';
import { verifyDetachedCms, verifyEncapsulatedCms, type VerifiedCms } from './cms-verify';
import { SignatureVerificationError } from './errors';
import { OID } from './oids';

export interface SmimeVerifyOptions {
  /** DER of the CAs trusted for user signatures. */
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
  /** Validation time (reception time: signingTime is only the signer's claim). */
  at: Date;
  /** Largest signature part accepted (default 4 MiB). */
  maxSignatureBytes?: number;
}

export interface VerifiedSmime {
  signerCertificateDer: Buffer;
  /** Intermediates, then the trust anchor. */
  chainDer: Buffer[];
  digestAlgorithm: DigestAlgorithm;
  signingTime?: Date;
  format: 'multipart-signed' | 'opaque';
  /**
   * The signed MIME entity: its byte range in the source (multipart/signed) or its bytes
   * (opaque), so the caller can read the inner headers (From, Subject, ...).
   */
  signedEntity: PartRange | Buffer;
}

const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);
const OPAQUE_TYPES = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

const malformed = (message: string, cause?: unknown): SignatureVerificationError => new SignatureVerificationError('malformed', message, cause);

/** Decodes a base64 (or binary) transfer-encoded body strictly. */
function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  const cte = (encoding ?? '').trim().toLowerCase();
  if (cte === 'binary') return body;
  if (cte !== 'base64') throw malformed(`the signature is not base64 encoded (Content-Transfer-Encoding: ${cte || 'none'})`);
  const text = body.toString('latin1').replace(/[\r\n\t ]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw malformed('the signature is not valid base64');
  return Buffer.from(text, 'base64');
}

function result(v: VerifiedCms, format: VerifiedSmime['format'], signedEntity: VerifiedSmime['signedEntity']): VerifiedSmime {
  return {
    signerCertificateDer: v.signerCertificateDer,
    chainDer: v.chainDer,
    digestAlgorithm: v.digestAlgorithm,
    ...(v.signingTime ? { signingTime: v.signingTime } : {}),
    format,
    signedEntity,
  };
}

async function multipartSigned(src: RangeSource, parts: PartRange[], protocol: string | undefined, opts: SmimeVerifyOptions): Promise<VerifiedSmime> {
  if (!protocol || !SIGNATURE_TYPES.has(protocol.toLowerCase())) {
    throw new SignatureVerificationError('unsigned', `multipart/signed with protocol "${protocol ?? ''}" is not an S/MIME signature`);
  }
  if (parts.length !== 2) throw malformed(`multipart/signed must have 2 parts, it has ${parts.length}`);
  const [content, signature] = parts;
  if (signature.end - signature.start > (opts.maxSignatureBytes ?? 4 * 1024 * 1024)) throw malformed('the signature part is too large');
  const sigSrc = subSource(src, signature.start, signature.end);
  let sigEntity;
  try {
    sigEntity = await scanEntity(sigSrc);
  } catch (e) {
    if (e instanceof MimeFormatError) throw malformed(`the signature part is not a MIME entity: ${e.message}`, e);
    throw e;
  }
  if (!SIGNATURE_TYPES.has(sigEntity.contentType.mime)) throw malformed(`the signature part has type ${sigEntity.contentType.mime}`);
  const der = decodeBody(await sigSrc.read({ start: sigEntity.headerEnd }), getHeader(sigEntity.headers, 'content-transfer-encoding'));
  const verified = await verifyDetachedCms({
    signatureDer: der,
    contentDigests: (alg) => hashRange(src, nodeHashName(alg), content),
    trustAnchors: opts.trustAnchors,
    intermediates: opts.intermediates,
    at: opts.at,
    requireEku: OID.emailProtection,
  });
  return result(verified, 'multipart-signed', { start: content.start, end: content.end });
}

async function opaque(src: RangeSource, headerEnd: number, smimeType: string | undefined, encoding: string | undefined, opts: SmimeVerifyOptions): Promise<VerifiedSmime> {
  if (smimeType && smimeType.toLowerCase() !== 'signed-data') {
    throw new SignatureVerificationError('unsigned', `application/pkcs7-mime with smime-type=${smimeType} is not a signed message`);
  }
  const der = decodeBody(await src.read({ start: headerEnd }), encoding);
  const verified = await verifyEncapsulatedCms({
    signatureDer: der,
    trustAnchors: opts.trustAnchors,
    intermediates: opts.intermediates,
    at: opts.at,
    requireEku: OID.emailProtection,
  });
  return result(verified, 'opaque', verified.eContent);
}

/**
 * Verifies the S/MIME signature of a message. Throws SignatureVerificationError (failure
 * 'unsigned' when there is no S/MIME signature at all) or MimeFormatError when the message
 * itself is not well-formed MIME.
 */
export async function verifySmimeMessage(src: RangeSource, opts: SmimeVerifyOptions): Promise<VerifiedSmime> {
  const entity = await scanEntity(src);
  const ct = entity.contentType;
  if (ct.mime === 'multipart/signed') return multipartSigned(src, entity.parts ?? [], ct.params.protocol, opts);
  if (OPAQUE_TYPES.has(ct.mime)) {
    return opaque(src, entity.headerEnd, ct.params['smime-type'], getHeader(entity.headers, 'content-transfer-encoding'), opts);
  }
  throw new SignatureVerificationError('unsigned', `the message is not S/MIME signed (${ct.mime})`);
}
