/**
 * Verification of CMS SignedData signatures (S/MIME, CAdES): every signer must verify, chain
 * to a trust anchor at the given time and be allowed to sign. The content is given as
 * digests, so callers can stream large bodies.
 */
import { createHash } from 'node:crypto';
import { Asn1FormatError } from './asn1-read';
import { nodeHashName, type DigestAlgorithm } from './algorithms';
import { findAttribute, parseSignedData, type SignedData } from './cms-parse';
import { SignatureVerificationError } from './errors';
import { OID } from './oids';
import { verifySignerInfo } from './signer-verify';
import { verifyTimeStampToken, type VerifiedTimeStamp } from '../timestamp/verify';
import { TimeStampVerificationError } from '../timestamp/errors';

export type ContentDigests = (alg: DigestAlgorithm) => Promise<Buffer>;

export interface CmsVerifyOptions {
  signatureDer: Buffer;
  /** Digest of the signed content with the signer's digest algorithm, computed by streaming. */
  contentDigests: ContentDigests;
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
  /** Time at which the signer's certificate path must be valid (reception time). */
  at: Date;
  /** Extended key usage the signer certificate must allow, e.g. OID.emailProtection. */
  requireEku?: string;
  /** When given, a signature time-stamp (CAdES-T) must be present and verify against these TSA CAs. */
  timeStampTrustAnchors?: Buffer[];
}

export interface VerifiedCms {
  signerCertificateDer: Buffer;
  /** The rest of the validated path: intermediates, then the trust anchor. */
  chainDer: Buffer[];
  digestAlgorithm: DigestAlgorithm;
  /** The signer's claimed signing time (not trusted time). */
  signingTime?: Date;
  /** DER of the id-aa-signatureTimeStampToken, if any. */
  signatureTimeStampToken?: Buffer;
  /** The verified signature time-stamp, when timeStampTrustAnchors were given. */
  signatureTimeStamp?: VerifiedTimeStamp;
  /** The encapsulated content (opaque signatures only). */
  eContent?: Buffer;
}

function parse(signatureDer: Buffer): SignedData {
  try {
    return parseSignedData(signatureDer);
  } catch (e) {
    if (e instanceof Asn1FormatError) throw new SignatureVerificationError('malformed', `the signature is not a CMS SignedData: ${e.message}`, e);
    throw e;
  }
}

/** Caches digests per algorithm: several signers usually share one. */
function memo(digests: ContentDigests): ContentDigests {
  const cache = new Map<DigestAlgorithm, Promise<Buffer>>();
  return (alg) => {
    let p = cache.get(alg);
    if (!p) {
      p = digests(alg);
      cache.set(alg, p);
    }
    return p;
  };
}

async function verifyParsed(signed: SignedData, contentDigests: ContentDigests, opts: Omit<CmsVerifyOptions, 'signatureDer' | 'contentDigests'>): Promise<VerifiedCms> {
  if (signed.signerInfos.length === 0) throw new SignatureVerificationError('unsigned', 'the CMS structure has no signer');
  const digests = memo(contentDigests);
  let first: VerifiedCms | undefined;
  for (const signerInfo of signed.signerInfos) {
    const signer = await verifySignerInfo({
      signerInfo,
      eContentType: signed.eContentType,
      contentDigest: digests,
      certificates: signed.certificates,
      trustAnchors: opts.trustAnchors,
      intermediates: opts.intermediates,
      at: opts.at,
      requireEku: opts.requireEku,
    });
    const tokenAttr = findAttribute(signerInfo.unsignedAttrs, OID.signatureTimeStampToken);
    const token = tokenAttr?.values[0] ? Buffer.from(tokenAttr.values[0].valueBeforeDecodeView) : undefined;
    let signatureTimeStamp: VerifiedTimeStamp | undefined;
    if (opts.timeStampTrustAnchors) {
      if (!token) throw new SignatureVerificationError('malformed', 'the signature has no signature time-stamp (CAdES-T)');
      try {
        const ts = await verifyTimeStampToken(token, { trustAnchors: opts.timeStampTrustAnchors });
        const alg = ts.imprintAlgorithm as DigestAlgorithm;
        let expected: Buffer;
        try {
          expected = createHash(nodeHashName(alg)).update(signerInfo.signature).digest();
        } catch {
          throw new TimeStampVerificationError('malformed', `unsupported imprint algorithm ${ts.imprintAlgorithm}`);
        }
        if (!expected.equals(ts.imprint)) throw new TimeStampVerificationError('imprint-mismatch', 'the signature time-stamp covers another signature');
        signatureTimeStamp = ts;
      } catch (e) {
        if (e instanceof TimeStampVerificationError) {
          const failure = e.failure === 'imprint-mismatch' ? 'bad-signature' : e.failure;
          throw new SignatureVerificationError(failure, `signature time-stamp: ${e.message}`, e);
        }
        throw e;
      }
    }
    first ??= {
      signerCertificateDer: signer.certificate.der,
      chainDer: signer.chain.slice(1).map((c) => c.der),
      digestAlgorithm: signer.digestAlgorithm,
      ...(signer.signingTime ? { signingTime: signer.signingTime } : {}),
      ...(token ? { signatureTimeStampToken: token } : {}),
      ...(signatureTimeStamp ? { signatureTimeStamp } : {}),
    };
  }
  return first as VerifiedCms;
}

/** Verifies a detached signature (multipart/signed, CAdES over a digest). Throws SignatureVerificationError. */
export async function verifyDetachedCms(opts: CmsVerifyOptions): Promise<VerifiedCms> {
  const signed = parse(opts.signatureDer);
  if (signed.eContent) throw new SignatureVerificationError('malformed', 'the signature is not detached (it encapsulates content)');
  return verifyParsed(signed, opts.contentDigests, opts);
}

/** Verifies a signature with encapsulated content (opaque S/MIME); the content is returned. */
export async function verifyEncapsulatedCms(opts: Omit<CmsVerifyOptions, 'contentDigests'>): Promise<VerifiedCms & { eContent: Buffer }> {
  const signed = parse(opts.signatureDer);
  const content = signed.eContent;
  if (!content) throw new SignatureVerificationError('malformed', 'the signature encapsulates no content');
  const result = await verifyParsed(signed, async (alg) => createHash(nodeHashName(alg)).update(content).digest(), opts);
  return { ...result, eContent: content };
}
