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
  const cert = parseCertificate(spec.identity.certificateDer);
  const signedAttrs = der.setOf(...spec.signedAttributes);
  const signature = signData(spec.identity.privateKey, digest, signedAttrs);
  const unsigned = spec.unsignedAttributes ? await spec.unsignedAttributes(signature) : [];

  const signerInfo = der.sequence(
    der.smallInteger(1), // issuerAndSerialNumber signer identifier
    issuerAndSerialNumber(cert),
    digestAlgorithmIdentifier(digest),
    der.retag(signedAttrs, 0xa0),
    cmsSignatureAlgorithm(spec.identity.privateKey, digest),
    der.octetString(signature),
    ...(unsigned.length ? [der.retag(der.setOf(...unsigned), 0xa1)] : []),
  );
  const certificates =
    spec.includeCertificates === false ? [] : [der.retag(der.setOf(spec.identity.certificateDer, ...spec.identity.chainDer), 0xa0)];
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
