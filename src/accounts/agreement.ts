/**
 * The activation agreement (kep-rem.md §8.2): an account awaiting activation becomes active
 * only with an agreement signed by its holder. Accepted forms: an S/MIME message
 * (multipart/signed or opaque), or a CMS SignedData in DER or PEM — opaque (.p7m), or detached
 * (.p7s) together with the signed document. The signature must chain to a CA trusted for user
 * signatures, be valid now, and identify the holder as interface.md "Who may sign" says.
 */
import { createHash } from 'node:crypto';
import { sha256Hex } from '../common/hash';
import { UsageError } from '../errors';
import { bufferSource } from '../mime/sources';
import { MimeFormatError } from '../mime/errors';
import { parseCertificate } from '../pki/certs';
import { verifyDetachedCms, verifyEncapsulatedCms, type VerifiedCms } from '../pki/cms-verify';
import { SignatureVerificationError, CertificateFormatError } from '../pki/errors';
import { nodeHashName } from '../pki/algorithms';
import { pemBlocks } from '../pki/pem';
import { verifySmimeMessage } from '../pki/smime-verify';
import { signerMismatch, type SenderIdentity } from '../policy/signer';

export interface AgreementInput {
  /** The agreement file as given. */
  bytes: Buffer;
  /** The signed document, for a detached CMS signature. */
  content?: Buffer;
}

export interface VerifiedAgreement {
  format: 'smime' | 'cms-opaque' | 'cms-detached';
  signerCertificateDer: Buffer;
  signerCertificateSha256: string;
  /** Subject of the signer certificate, for the history. */
  signerSubject: string;
  /** SHA-256 (hex) of the signed document when it was given separately. */
  contentSha256?: string;
  /** What is kept with the 'activated' history entry: the agreement file, byte for byte. */
  document: Buffer;
}

/** The agreement cannot activate the account (CLI exit 2, with the reason). */
export class AgreementRejected extends UsageError {
  override readonly name = 'AgreementRejected';
}

export interface AgreementCheck {
  /** DER of the CAs trusted for user signatures. */
  trustAnchors: Buffer[];
  at: Date;
  holder: SenderIdentity;
}

const MAX_AGREEMENT_BYTES = 16 * 1024 * 1024;
const CMS_PEM_LABELS = new Set(['PKCS7', 'CMS', 'PKCS #7 SIGNED DATA']);

/** DER of a CMS structure given as DER or PEM; undefined when the bytes look like MIME. */
function cmsDer(bytes: Buffer): Buffer | undefined {
  if (bytes[0] === 0x30) return bytes;
  const head = bytes.subarray(0, 4096).toString('latin1');
  if (!head.includes('-----BEGIN ')) return undefined;
  let blocks;
  try {
    blocks = pemBlocks(bytes);
  } catch (e) {
    if (e instanceof CertificateFormatError) throw new AgreementRejected(`the agreement file is not valid PEM: ${e.message}`);
    throw e;
  }
  const block = blocks.find((b) => CMS_PEM_LABELS.has(b.label));
  if (!block) throw new AgreementRejected(`the agreement file holds no CMS signature (PEM labels: ${blocks.map((b) => b.label).join(', ') || 'none'})`);
  return block.der;
}

/**
 * An agreement is a file, not mail off the wire: one saved with bare LF line ends (as openssl
 * writes S/MIME on Unix) is read in the CRLF form S/MIME signs.
 */
function canonicalLineEnds(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  return /(?<!\r)\n/.test(text) ? Buffer.from(text.replace(/(?<!\r)\n/g, '\r\n'), 'latin1') : bytes;
}

async function verifySignature(input: AgreementInput, check: AgreementCheck): Promise<{ verified: Pick<VerifiedCms, 'signerCertificateDer'>; format: VerifiedAgreement['format'] }> {
  const der = cmsDer(input.bytes);
  const base = { trustAnchors: check.trustAnchors, at: check.at };
  if (!der) {
    if (input.content) throw new AgreementRejected('a separate signed document goes only with a detached CMS signature, not with an S/MIME message');
    return { verified: await verifySmimeMessage(bufferSource(canonicalLineEnds(input.bytes)), base), format: 'smime' };
  }
  if (input.content) {
    const content = input.content;
    const verified = await verifyDetachedCms({
      ...base,
      signatureDer: der,
      contentDigests: async (alg) => createHash(nodeHashName(alg)).update(content).digest(),
    });
    return { verified, format: 'cms-detached' };
  }
  try {
    return { verified: await verifyEncapsulatedCms({ ...base, signatureDer: der }), format: 'cms-opaque' };
  } catch (e) {
    if (e instanceof SignatureVerificationError && /encapsulates no content/.test(e.message)) {
      throw new AgreementRejected('the agreement is a detached signature: give the signed document too (--content FILE)');
    }
    throw e;
  }
}

export async function verifyAgreement(input: AgreementInput, check: AgreementCheck): Promise<VerifiedAgreement> {
  if (input.bytes.length === 0) throw new AgreementRejected('the agreement file is empty');
  if (input.bytes.length > MAX_AGREEMENT_BYTES) throw new AgreementRejected(`the agreement file is larger than ${MAX_AGREEMENT_BYTES} bytes`);
  let result;
  try {
    result = await verifySignature(input, check);
  } catch (e) {
    if (e instanceof SignatureVerificationError) throw new AgreementRejected(`the agreement signature is not acceptable: ${e.message}`);
    if (e instanceof MimeFormatError) throw new AgreementRejected(`the agreement is neither a CMS signature nor a well-formed S/MIME message: ${e.message}`);
    throw e;
  }
  const cert = parseCertificate(result.verified.signerCertificateDer);
  const mismatch = signerMismatch(
    { serialNumbers: cert.subjectSerialNumber ? [cert.subjectSerialNumber] : [], emails: cert.emails },
    check.holder,
  );
  if (mismatch) throw new AgreementRejected(`the agreement is not signed by the holder of <${check.holder.address}>: ${mismatch}`);
  const out: VerifiedAgreement = {
    format: result.format,
    signerCertificateDer: cert.der,
    signerCertificateSha256: cert.sha256,
    signerSubject: cert.subject,
    document: input.bytes,
  };
  if (input.content) out.contentSha256 = sha256Hex(input.content);
  return out;
}
