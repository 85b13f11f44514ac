/**
 * Verification of one CMS SignerInfo: digest, signature over the signed attributes, ESS
 * signing-certificate binding, certification path and key usage. Used for user S/MIME
 * signatures, other providers' CAdES signatures and time-stamp tokens.
 */
import { createHash } from 'node:crypto';
import { Asn1FormatError, algorithmValue, isUniversal, octetStringContent, oidValue, sequenceChildren, Tag, timeValue } from './asn1-read';
import { digestByOid, isWeakDigest, signatureScheme, UnsupportedAlgorithmError, verifyWithScheme, nodeHashName, type DigestAlgorithm } from './algorithms';
import { allowsExtendedKeyUsage, formatName, parseCertificate, type CertificateInfo } from './certs';
import { ChainError, validateChain } from './chain';
import { findAttribute, type SignerInfo } from './cms-parse';
import { CertificateFormatError, SignatureVerificationError, type SignatureFailure } from './errors';
import { OID } from './oids';

export interface SignerCheckOptions {
  signerInfo: SignerInfo;
  eContentType: string;
  /** Digest of the (detached or encapsulated) content with the given algorithm. */
  contentDigest: (alg: DigestAlgorithm) => Promise<Buffer>;
  /** Certificates carried in the SignedData (DER). */
  certificates: Buffer[];
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
  at: Date;
  /** Required extended key usage OID. */
  requireEku?: string;
  /** The EKU must be present and critical (RFC 3161 TSA certificates). */
  requireCriticalEku?: boolean;
  /** The ESS signing-certificate(-v2) attribute must be present. */
  requireEss?: boolean;
}

export interface VerifiedSigner {
  certificate: CertificateInfo;
  /** Leaf first, trust anchor last. */
  chain: CertificateInfo[];
  digestAlgorithm: DigestAlgorithm;
  /** The signer's claimed signing time (not trusted time). */
  signingTime?: Date;
}

const fail = (failure: SignatureFailure, message: string, cause?: unknown): never => {
  throw new SignatureVerificationError(failure, message, cause);
};

export function findSignerCertificate(si: SignerInfo, candidates: CertificateInfo[]): CertificateInfo | undefined {
  const sid = si.sid;
  if (sid.kind === 'subjectKeyIdentifier') return candidates.find((c) => c.subjectKeyId?.equals(sid.keyId));
  const issuer = formatName(sid.issuerAttributes);
  // Names are compared as encoded, or by value when another encoder chose other string types.
  return candidates.find((c) => c.serialNumber.equals(sid.serialNumber) && (c.issuerDer.equals(sid.issuerDer) || c.issuer === issuer));
}

/** Checks the ESS signing-certificate(-v2) attribute names the signer certificate. */
function checkEss(si: SignerInfo, cert: CertificateInfo, required: boolean): void {
  const v2 = findAttribute(si.signedAttrs, OID.signingCertificateV2);
  const v1 = findAttribute(si.signedAttrs, OID.signingCertificate);
  const attr = v2 ?? v1;
  if (!attr) {
    if (required) fail('malformed', 'the signing-certificate attribute (ESS) is missing');
    return;
  }
  try {
    const [certs] = sequenceChildren(attr.values[0], 'SigningCertificate');
    const [first] = sequenceChildren(certs, 'ESSCertID list');
    const fields = sequenceChildren(first, 'ESSCertID');
    let hashName = 'sha1';
    let i = 0;
    if (v2) {
      hashName = 'sha256';
      if (isUniversal(fields[0], Tag.sequence)) {
        const alg = digestByOid(algorithmValue(fields[i++], 'ESS hash').oid);
        if (!alg) fail('malformed', 'unsupported ESS hash algorithm');
        hashName = nodeHashName(alg as DigestAlgorithm);
      }
    }
    const certHash = octetStringContent(fields[i], 'certHash');
    if (!createHash(hashName).update(cert.der).digest().equals(certHash)) {
      fail('bad-signature', 'the signing-certificate attribute (ESS) does not match the signer certificate');
    }
  } catch (e) {
    if (e instanceof Asn1FormatError) fail('malformed', `bad signing-certificate attribute: ${e.message}`, e);
    throw e;
  }
}

function checkUsage(cert: CertificateInfo, opts: SignerCheckOptions): void {
  if (cert.keyUsage && !cert.keyUsage.includes('digitalSignature') && !cert.keyUsage.includes('nonRepudiation')) {
    fail('wrong-usage', `certificate "${cert.subject}" key usage does not allow signatures`);
  }
  if (!opts.requireEku) return;
  if (opts.requireCriticalEku) {
    const eku = cert.extendedKeyUsage;
    if (!eku || !eku.critical || !eku.oids.includes(opts.requireEku)) {
      fail('wrong-usage', `certificate "${cert.subject}" lacks the critical extended key usage ${opts.requireEku}`);
    }
  } else if (!allowsExtendedKeyUsage(cert, opts.requireEku)) {
    fail('wrong-usage', `certificate "${cert.subject}" does not allow extended key usage ${opts.requireEku}`);
  }
}

function parsableCertificates(ders: Buffer[]): CertificateInfo[] {
  const out: CertificateInfo[] = [];
  for (const der of ders) {
    try {
      out.push(parseCertificate(der));
    } catch (e) {
      if (!(e instanceof CertificateFormatError)) throw e;
    }
  }
  return out;
}

export async function verifySignerInfo(opts: SignerCheckOptions): Promise<VerifiedSigner> {
  const si = opts.signerInfo;
  const digest = digestByOid(si.digestAlgorithm.oid);
  if (!digest) return fail('malformed', `unsupported digest algorithm ${si.digestAlgorithm.oid}`);
  if (isWeakDigest(digest)) fail('weak-algorithm', `digest algorithm ${digest} is not accepted`);
  let scheme;
  try {
    scheme = signatureScheme(si.signatureAlgorithm, digest);
  } catch (e) {
    if (e instanceof UnsupportedAlgorithmError) return fail('malformed', e.message, e);
    throw e;
  }
  if (isWeakDigest(scheme.digest)) fail('weak-algorithm', `signature algorithm uses ${scheme.digest}`);
  if (!si.signedAttrsDer) return fail('malformed', 'signatures without signed attributes are not supported');

  const contentType = findAttribute(si.signedAttrs, OID.contentType);
  const messageDigest = findAttribute(si.signedAttrs, OID.messageDigest);
  if (!contentType || !messageDigest || messageDigest.values.length !== 1) {
    return fail('malformed', 'the contentType or messageDigest signed attribute is missing');
  }
  let claimedDigest: Buffer;
  let signingTime: Date | undefined;
  try {
    if (oidValue(contentType.values[0], 'contentType') !== opts.eContentType) {
      fail('bad-signature', 'the contentType attribute does not match the signed content type');
    }
    claimedDigest = octetStringContent(messageDigest.values[0], 'messageDigest');
    const st = findAttribute(si.signedAttrs, OID.signingTime);
    if (st) signingTime = timeValue(st.values[0], 'signingTime');
  } catch (e) {
    if (e instanceof Asn1FormatError) return fail('malformed', e.message, e);
    throw e;
  }
  const actualDigest = await opts.contentDigest(digest);
  if (!actualDigest.equals(claimedDigest)) fail('bad-signature', 'the content does not match the signature (message digest differs)');

  // Certificates carried by the signer are untrusted input: unreadable ones are left out.
  const carried = parsableCertificates(opts.certificates);
  const extra = parsableCertificates(opts.intermediates ?? []);
  const anchors = opts.trustAnchors.map((d) => parseCertificate(d));
  const cert = findSignerCertificate(si, [...carried, ...extra, ...anchors]);
  if (!cert) return fail('untrusted', 'the signer certificate is not included in the signature');
  if (!verifyWithScheme(scheme, cert.publicKey, si.signedAttrsDer, si.signature)) {
    fail('bad-signature', `the signature value does not verify with the certificate of "${cert.subject}"`);
  }
  checkEss(si, cert, opts.requireEss ?? false);

  let chain: CertificateInfo[];
  try {
    chain = validateChain(cert, { trustAnchors: opts.trustAnchors, intermediates: [...carried, ...extra].map((c) => c.der), at: opts.at });
  } catch (e) {
    if (e instanceof ChainError) return fail(e.failure, e.message, e);
    throw e;
  }
  checkUsage(cert, opts);
  return { certificate: cert, chain, digestAlgorithm: digest, signingTime };
}
