/**
 * CAdES-B-T detached signatures (the provider's S/MIME signature on REM messages): CMS
 * SignedData over a content digest, with an RFC 3161 signature time-stamp.
 */
import { createHash } from 'node:crypto';
import {
  attribute,
  buildSignedData,
  contentTypeAttribute,
  messageDigestAttribute,
  signerConstantsOf,
  signingTimeAttribute,
} from './cms-build';
import { OID } from './oids';
import type { SigningIdentity, TimeStamper } from './types';

export interface CadesSignOptions {
  /** SHA-256 of the exact signed bytes (taking the digest lets callers stream large bodies). */
  contentDigest: Buffer;
  identity: SigningIdentity;
  timeStamper: TimeStamper;
  signingTime?: Date;
}

/** Returns the DER ContentInfo. Throws TimeStampUnavailable when no token can be had. */
export async function signDetachedCades(opts: CadesSignOptions): Promise<Buffer> {
  if (opts.contentDigest.length !== 32) throw new RangeError('contentDigest must be a SHA-256 digest (32 bytes)');
  const signer = signerConstantsOf(opts.identity);
  return buildSignedData({
    identity: opts.identity,
    eContentType: OID.data,
    signedAttributes: [
      contentTypeAttribute(OID.data),
      signingTimeAttribute(opts.signingTime ?? new Date()),
      messageDigestAttribute(opts.contentDigest),
      signer.signingCertificateV2,
    ],
    // CAdES-T: the token's imprint is the hash of the SignerInfo signature value.
    unsignedAttributes: async (signature) => {
      const token = await opts.timeStamper.stamp(createHash('sha256').update(signature).digest());
      return [attribute(OID.signatureTimeStampToken, token)];
    },
  });
}
