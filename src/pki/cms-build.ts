/**
 * Building CMS SignedData (RFC 5652) with one signer, signed with node:crypto. Shared by
 * CAdES signing of messages and the built-in TSA's tokens.
 */
import { createHash } from 'node:crypto';
import { cmsSignatureAlgorithm, digestAlgorithmIdentifier, nodeHashName, signData, type DigestAlgorithm } from './algorithms';
import { parseCertificate, type CertificateInfo } from './certs';
import * as der from './der';
import { OID } from './oids';
import type { SigningIdentity } from './types';

export function attribute(type: string, ...values: Buffer[]): Buffer {
  return der.sequence(der.oid(type), der.setOf(...values));
}

export function contentTypeAttribute(contentType: string): Buffer {
  return attribute(OID.contentType, der.oid(contentType));
}

export function signingTimeAttribute(time: Date): Buffer {
  return attribute(OID.signingTime, der.x509Time(time));
}

export function messageDigestAttribute(digest: Buffer): Buffer {
  return attribute(OID.messageDigest, der.octetString(digest));
}

/** IssuerSerial of ESS (RFC 5035): GeneralNames{directoryName} + serial. */
function issuerSerial(cert: CertificateInfo): Buffer {
  return der.sequence(der.sequence(der.explicit(4, cert.issuerDer)), der.tlv(0x02, cert.serialNumber));
}

/** ESS signing-certificate-v2 with a SHA-256 hash (the DEFAULT algorithm, hence omitted). */
export function signingCertificateV2Attribute(cert: CertificateInfo): Buffer {
  const hash = createHash('sha256').update(cert.der).digest();
  return attribute(OID.signingCertificateV2, der.sequence(der.sequence(der.sequence(der.octetString(hash), issuerSerial(cert)))));
}

export function issuerAndSerialNumber(cert: CertificateInfo): Buffer {
  return der.sequence(cert.issuerDer, der.tlv(0x02, cert.serialNumber));
}

/**
 * What a signer's every SignedData repeats: its parsed certificate, its ESS
 * signing-certificate-v2 attribute, its SignerInfo identifier and signature algorithm, and the
 * certificate set. Built once per identity (the provider signs ~10 times per message) instead
 * of re-hashing and re-encoding the certificate for each signature.
 */
export interface SignerConstants {
  cert: CertificateInfo;
  signingCertificateV2: Buffer;
  issuerAndSerialNumber: Buffer;
  /** `[0] IMPLICIT CertificateSet` with the leaf and the chain. */
  certificates: Buffer;
  signatureAlgorithm(digest: DigestAlgorithm): Buffer;
}

interface CachedSigner {
  certificateDer: Buffer;
  chainDer: Buffer[];
  privateKey: SigningIdentity['privateKey'];
  constants: SignerConstants;
}

const signerConstants = new WeakMap<SigningIdentity, CachedSigner>();

export function signerConstantsOf(identity: SigningIdentity): SignerConstants {
  const hit = signerConstants.get(identity);
  // An identity whose certificate, chain or key was replaced (same object) is built again.
  if (hit && hit.certificateDer === identity.certificateDer && hit.chainDer === identity.chainDer && hit.privateKey === identity.privateKey) {
    return hit.constants;
  }
  const cert = parseCertificate(identity.certificateDer);
  const algorithms = new Map<DigestAlgorithm, Buffer>();
  const built: SignerConstants = {
    cert,
    signingCertificateV2: signingCertificateV2Attribute(cert),
    issuerAndSerialNumber: issuerAndSerialNumber(cert),
    certificates: der.retag(der.setOf(identity.certificateDer, ...identity.chainDer), 0xa0),
    signatureAlgorithm(digest) {
      let a = algorithms.get(digest);
      if (!a) algorithms.set(digest, (a = cmsSignatureAlgorithm(identity.privateKey, digest)));
      return a;
    },
  };
  signerConstants.set(identity, { certificateDer: identity.certificateDer, chainDer: identity.chainDer, privateKey: identity.privateKey, constants: built });
  return built;
}

export interface SignedDataSpec {
  identity: SigningIdentity;
  eContentType: string;
  /** Encapsulated content; omit for a detached signature. */
  eContent?: Buffer;
  /** Encoded Attribute values; contentType and messageDigest are the caller's to include. */
  signedAttributes: Buffer[];
  /** Computes unsigned attributes from the signature value (e.g. a signature time-stamp). */
  unsignedAttributes?: (signature: Buffer) => Promise<Buffer[]>;
  /** Include the signer certificate and chain (default true). */
  includeCertificates?: boolean;
  digest?: DigestAlgorithm;
}

/** Returns the DER ContentInfo(SignedData). */
export async function buildSignedData(spec: SignedDataSpec): Promise<Buffer> {
  const digest = spec.digest ?? 'SHA-256';
  const signer = signerConstantsOf(spec.identity);
  const signedAttrs = der.setOf(...spec.signedAttributes);
  const signature = signData(spec.identity.privateKey, digest, signedAttrs);
  const unsigned = spec.unsignedAttributes ? await spec.unsignedAttributes(signature) : [];

  const signerInfo = der.sequence(
    der.smallInteger(1), // issuerAndSerialNumber signer identifier
    signer.issuerAndSerialNumber,
    digestAlgorithmIdentifier(digest),
    der.retag(signedAttrs, 0xa0),
    signer.signatureAlgorithm(digest),
    der.octetString(signature),
    ...(unsigned.length ? [der.retag(der.setOf(...unsigned), 0xa1)] : []),
  );
  const certificates = spec.includeCertificates === false ? [] : [signer.certificates];
  const signedData = der.sequence(
    // RFC 5652 5.1: version 3 when the content is not id-data, else 1.
    der.smallInteger(spec.eContentType === OID.data ? 1 : 3),
    der.setOf(digestAlgorithmIdentifier(digest)),
    der.sequence(der.oid(spec.eContentType), ...(spec.eContent ? [der.explicit(0, der.octetString(spec.eContent))] : [])),
    ...certificates,
    der.setOf(signerInfo),
  );
  return der.sequence(der.oid(OID.signedData), der.explicit(0, signedData));
}

export function digestOf(digest: DigestAlgorithm, data: Buffer): Buffer {
  return createHash(nodeHashName(digest)).update(data).digest();
}
