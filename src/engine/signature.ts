/**
 * Is the original S/MIME-signed by its sender? The signature must verify against a trusted CA
 * now, and the certificate must identify the sending account (or operator): interface.md
 * "Who may sign". Returns the signer certificate for the evidence.
 */
import { SubmissionRejected } from '../errors';
import { MimeFormatError, type RangeSource } from '../mime';
import { parseCertificate } from '../pki/certs';
import { SignatureVerificationError } from '../pki/errors';
import { verifySmimeMessage } from '../pki/smime-verify';
import { Rejections } from '../policy/rejections';
import { signerMismatch, type SenderIdentity } from '../policy/signer';
import type { Runtime } from './runtime';

export async function verifySender(rt: Runtime, src: RangeSource, sender: SenderIdentity): Promise<Buffer> {
  let signerDer: Buffer;
  try {
    const verified = await verifySmimeMessage(src, { trustAnchors: await rt.userTrust.certificates(), at: rt.now() });
    signerDer = verified.signerCertificateDer;
  } catch (err) {
    if (err instanceof SignatureVerificationError) throw new SubmissionRejected(err.reply, err.reason, err.message);
    // The body's MIME structure (the header alone was checked before): a malformed message.
    if (err instanceof MimeFormatError) throw Rejections.malformed(err.message);
    throw err;
  }
  const cert = parseCertificate(signerDer);
  const mismatch = signerMismatch(
    { serialNumbers: cert.subjectSerialNumber ? [cert.subjectSerialNumber] : [], emails: cert.emails, sha256: cert.sha256 },
    sender,
  );
  if (mismatch) throw Rejections.wrongSigner(mismatch);
  return signerDer;
}
