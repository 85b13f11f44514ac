/**
 * Everything about the signing identity that every evidence signature repeats, computed once:
 * base64 certificates, the SigningCertificate digest and issuer/serial, the signature method.
 */
import { createHash, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { parseCertificate } from '../pki/certs';
import type { SigningIdentity } from '../pki/types';
import { rfc4514Name } from './dn';
import { EvidenceSigningError } from './errors';
import { ALG_ECDSA_SHA256, ALG_RSA_SHA256 } from './namespaces';
import { toXmlChars } from './xml-text';

export interface SignerMaterial {
  /** base64 DER of the signer certificate, then of its chain. */
  certificatesB64: string[];
  /** base64 SHA-256 of the signer certificate DER (xades:CertDigest). */
  certDigestB64: string;
  issuerName: string;
  serialDecimal: string;
  signatureMethod: string;
  /** Signs with the identity's key; ECDSA values are r||s as XMLDSig requires. */
  sign(data: Buffer): Buffer;
}

export function prepareSignerMaterial(identity: SigningIdentity): SignerMaterial {
  let cert;
  try {
    cert = parseCertificate(identity.certificateDer);
  } catch (e) {
    throw new EvidenceSigningError('the signing certificate cannot be read', e);
  }
  const keyType = identity.privateKey.asymmetricKeyType;
  let signatureMethod: string;
  let sign: (data: Buffer) => Buffer;
  if (keyType === 'ec') {
    signatureMethod = ALG_ECDSA_SHA256;
    sign = (data) => nodeSign('sha256', data, { key: identity.privateKey, dsaEncoding: 'ieee-p1363' });
  } else if (keyType === 'rsa') {
    signatureMethod = ALG_RSA_SHA256;
    sign = (data) => nodeSign('sha256', data, identity.privateKey);
  } else {
    throw new EvidenceSigningError(`unsupported signing key type ${String(keyType)} (EC or RSA expected)`);
  }
  // A key that does not belong to the certificate would produce evidence nobody can verify.
  const probe = Buffer.from('kepd evidence signing key check');
  const ok =
    keyType === 'ec'
      ? nodeVerify('sha256', probe, { key: cert.publicKey, dsaEncoding: 'ieee-p1363' }, sign(probe))
      : nodeVerify('sha256', probe, cert.publicKey, sign(probe));
  if (!ok) throw new EvidenceSigningError('the private key does not match the signing certificate');

  return {
    certificatesB64: [identity.certificateDer, ...identity.chainDer].map((d) => d.toString('base64')),
    certDigestB64: createHash('sha256').update(identity.certificateDer).digest('base64'),
    issuerName: toXmlChars(rfc4514Name(cert.issuerAttributes)),
    serialDecimal: BigInt('0x' + (cert.serialNumber.toString('hex') || '0')).toString(10),
    signatureMethod,
    sign,
  };
}
