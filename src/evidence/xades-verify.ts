/**
 * Reading and checking the XAdES qualifying properties of an evidence signature: where they
 * are, the SigningCertificate(V2) binding, the SignatureTimeStamp tokens and their imprint.
 */
import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { C14N_ALGORITHMS, canonicalize } from './c14n';
import { childNS, childrenNS, textOf } from './dom';
import { ALG_C14N, ALG_SHA1, DIGEST_HASH, NS_DS, NS_XADES } from './namespaces';

export interface QualifyingParts {
  qualifyingProperties: Element;
  signedProperties: Element;
}

/** ds:Object/xades:QualifyingProperties targeting this signature, with its SignedProperties. */
export function findQualifyingProperties(signature: Element): QualifyingParts | string {
  const sigId = signature.getAttribute('Id');
  const found: Element[] = [];
  for (const obj of childrenNS(signature, NS_DS, 'Object')) found.push(...childrenNS(obj, NS_XADES, 'QualifyingProperties'));
  if (found.length !== 1) return `expected one xades:QualifyingProperties, found ${found.length}`;
  const qp = found[0] as Element;
  const target = qp.getAttribute('Target');
  if (!sigId || target !== `#${sigId}`) return 'xades:QualifyingProperties does not target this ds:Signature';
  const sp = childNS(qp, NS_XADES, 'SignedProperties');
  if (!sp) return 'xades:SignedProperties is missing';
  return { qualifyingProperties: qp, signedProperties: sp };
}

export interface CertReference {
  hash: string;
  digest: Buffer;
  /** Decimal serial from IssuerSerial (XAdES 1.3.2); absent for IssuerSerialV2. */
  serialDecimal?: string;
}

function signedSignatureProperties(sp: Element): Element | undefined {
  return childNS(sp, NS_XADES, 'SignedSignatureProperties');
}

export function readSigningTime(sp: Element): Date | undefined {
  const ssp = signedSignatureProperties(sp);
  const el = ssp && childNS(ssp, NS_XADES, 'SigningTime');
  if (!el) return undefined;
  const d = new Date(textOf(el).trim());
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Cert entries of SigningCertificate or SigningCertificateV2, or why they cannot be read. */
export function readSigningCertificates(sp: Element): CertReference[] | string {
  const ssp = signedSignatureProperties(sp);
  const list = ssp && (childNS(ssp, NS_XADES, 'SigningCertificate') ?? childNS(ssp, NS_XADES, 'SigningCertificateV2'));
  if (!list) return 'xades:SigningCertificate is missing';
  const out: CertReference[] = [];
  for (const cert of childrenNS(list, NS_XADES, 'Cert')) {
    const cd = childNS(cert, NS_XADES, 'CertDigest');
    const alg = (cd && childNS(cd, NS_DS, 'DigestMethod')?.getAttribute('Algorithm')) ?? '';
    const value = cd && childNS(cd, NS_DS, 'DigestValue');
    const hash = DIGEST_HASH[alg];
    if (!hash || !value) return `xades:CertDigest uses an unsupported digest ${alg}`;
    if (alg === ALG_SHA1) return 'xades:CertDigest uses SHA-1, which is not accepted';
    const ref: CertReference = { hash, digest: Buffer.from(textOf(value).replace(/\s+/g, ''), 'base64') };
    const is = childNS(cert, NS_XADES, 'IssuerSerial');
    const serial = is && childNS(is, NS_DS, 'X509SerialNumber');
    if (serial) ref.serialDecimal = textOf(serial).trim();
    out.push(ref);
  }
  if (out.length === 0) return 'xades:SigningCertificate lists no certificate';
  return out;
}

/** True when the reference names this certificate (digest, and serial when given). */
export function certificateMatches(ref: CertReference, certDer: Buffer, serialNumber: Buffer): boolean {
  if (!createHash(ref.hash).update(certDer).digest().equals(ref.digest)) return false;
  if (ref.serialDecimal === undefined) return true;
  if (!/^\d+$/.test(ref.serialDecimal)) return false;
  return BigInt(ref.serialDecimal) === BigInt('0x' + (serialNumber.toString('hex') || '0'));
}

export interface SignatureTimeStampRef {
  c14nAlgorithm: string;
  token: Buffer;
}

/** Every EncapsulatedTimeStamp of every SignatureTimeStamp, in document order. */
export function readSignatureTimeStamps(qp: Element): SignatureTimeStampRef[] | string {
  const up = childNS(qp, NS_XADES, 'UnsignedProperties');
  const usp = up && childNS(up, NS_XADES, 'UnsignedSignatureProperties');
  const stamps = usp ? childrenNS(usp, NS_XADES, 'SignatureTimeStamp') : [];
  if (stamps.length === 0) return 'no xades:SignatureTimeStamp (the evidence is not XAdES-T)';
  const out: SignatureTimeStampRef[] = [];
  for (const st of stamps) {
    // XAdES: without a CanonicalizationMethod the input is canonicalised with c14n 1.0.
    const c14nAlgorithm = childNS(st, NS_DS, 'CanonicalizationMethod')?.getAttribute('Algorithm') ?? ALG_C14N;
    if (!C14N_ALGORITHMS.has(c14nAlgorithm)) return `SignatureTimeStamp uses an unsupported canonicalization ${c14nAlgorithm}`;
    for (const ets of childrenNS(st, NS_XADES, 'EncapsulatedTimeStamp')) {
      out.push({ c14nAlgorithm, token: Buffer.from(textOf(ets).replace(/\s+/g, ''), 'base64') });
    }
  }
  if (out.length === 0) return 'xades:SignatureTimeStamp carries no EncapsulatedTimeStamp';
  return out;
}

/** The message imprint a SignatureTimeStamp must carry: hash of the canonical ds:SignatureValue. */
export function signatureValueImprint(signature: Element, c14nAlgorithm: string, hash = 'sha256'): Buffer | undefined {
  const sv = childNS(signature, NS_DS, 'SignatureValue');
  if (!sv) return undefined;
  return createHash(hash).update(canonicalize(sv, c14nAlgorithm), 'utf8').digest();
}
