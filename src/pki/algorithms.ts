/**
 * Digest and signature algorithms: OID mapping, weak-algorithm policy and raw
 * signing/verification with node:crypto (several times faster than WebCrypto).
 */
import { constants, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Asn1FormatError, isContext, parseDer, sequenceChildren, algorithmValue, integerNumber, children } from './asn1-read';
import { algorithmIdentifier, nullValue } from './der';
import { OID } from './oids';

export type DigestAlgorithm = 'MD5' | 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const DIGESTS: Record<DigestAlgorithm, { oid: string; node: string }> = {
  MD5: { oid: OID.md5, node: 'md5' },
  'SHA-1': { oid: OID.sha1, node: 'sha1' },
  'SHA-224': { oid: OID.sha224, node: 'sha224' },
  'SHA-256': { oid: OID.sha256, node: 'sha256' },
  'SHA-384': { oid: OID.sha384, node: 'sha384' },
  'SHA-512': { oid: OID.sha512, node: 'sha512' },
};

/** An algorithm we cannot process (neither accepted nor proven bad). */
export class UnsupportedAlgorithmError extends Error {
  override readonly name = 'UnsupportedAlgorithmError';
}

export function digestByOid(oid: string): DigestAlgorithm | undefined {
  return (Object.keys(DIGESTS) as DigestAlgorithm[]).find((d) => DIGESTS[d].oid === oid);
}

export function digestOid(digest: DigestAlgorithm): string {
  return DIGESTS[digest].oid;
}

/** node:crypto hash name, e.g. 'sha256'. */
export function nodeHashName(digest: DigestAlgorithm): string {
  return DIGESTS[digest].node;
}

/** MD5 and SHA-1 are collision-broken: never accepted for signatures we rely on. */
export function isWeakDigest(digest: DigestAlgorithm): boolean {
  return digest === 'MD5' || digest === 'SHA-1';
}

/** AlgorithmIdentifier of a digest (parameters absent, RFC 5754). */
export function digestAlgorithmIdentifier(digest: DigestAlgorithm): Buffer {
  return algorithmIdentifier(DIGESTS[digest].oid);
}

export interface SignatureScheme {
  keyType: 'rsa' | 'ec';
  digest: DigestAlgorithm;
  /** RSASSA-PSS salt length; absent for PKCS#1 v1.5 and ECDSA. */
  pssSaltLength?: number;
}

const COMBINED: Record<string, SignatureScheme> = {
  [OID.md5WithRSA]: { keyType: 'rsa', digest: 'MD5' },
  [OID.sha1WithRSA]: { keyType: 'rsa', digest: 'SHA-1' },
  [OID.sha224WithRSA]: { keyType: 'rsa', digest: 'SHA-224' },
  [OID.sha256WithRSA]: { keyType: 'rsa', digest: 'SHA-256' },
  [OID.sha384WithRSA]: { keyType: 'rsa', digest: 'SHA-384' },
  [OID.sha512WithRSA]: { keyType: 'rsa', digest: 'SHA-512' },
  [OID.ecdsaWithSha1]: { keyType: 'ec', digest: 'SHA-1' },
  [OID.ecdsaWithSha224]: { keyType: 'ec', digest: 'SHA-224' },
  [OID.ecdsaWithSha256]: { keyType: 'ec', digest: 'SHA-256' },
  [OID.ecdsaWithSha384]: { keyType: 'ec', digest: 'SHA-384' },
  [OID.ecdsaWithSha512]: { keyType: 'ec', digest: 'SHA-512' },
};

function pssScheme(parameters: Buffer | undefined): SignatureScheme {
  // RSASSA-PSS-params: every field has a SHA-1 based default (RFC 4055).
  let digest: DigestAlgorithm = 'SHA-1';
  let mgfDigest: DigestAlgorithm = 'SHA-1';
  let saltLength = 20;
  if (parameters) {
    for (const field of sequenceChildren(parseDer(parameters, 'RSASSA-PSS parameters'), 'RSASSA-PSS parameters')) {
      const inner = children(field, 'RSASSA-PSS parameters')[0];
      if (isContext(field, 0)) {
        const d = digestByOid(algorithmValue(inner, 'PSS hash').oid);
        if (!d) throw new UnsupportedAlgorithmError('unsupported RSASSA-PSS hash');
        digest = d;
      } else if (isContext(field, 1)) {
        const mgf = algorithmValue(inner, 'PSS mask generation');
        if (mgf.oid !== OID.mgf1 || !mgf.parameters) throw new UnsupportedAlgorithmError('unsupported RSASSA-PSS mask generation');
        const d = digestByOid(algorithmValue(parseDer(mgf.parameters, 'MGF1 hash'), 'MGF1 hash').oid);
        if (!d) throw new UnsupportedAlgorithmError('unsupported MGF1 hash');
        mgfDigest = d;
      } else if (isContext(field, 2)) {
        saltLength = integerNumber(inner, 'PSS salt length');
      }
    }
  }
  if (mgfDigest !== digest) throw new UnsupportedAlgorithmError('RSASSA-PSS with a different MGF1 hash is not supported');
  return { keyType: 'rsa', digest, pssSaltLength: saltLength };
}

/**
 * The scheme of a signature algorithm. CMS SignerInfos may name only the key algorithm
 * (rsaEncryption, ecPublicKey); the digest then comes from the SignerInfo's digestAlgorithm.
 */
export function signatureScheme(algorithm: { oid: string; parameters?: Buffer }, digestHint?: DigestAlgorithm): SignatureScheme {
  const combined = COMBINED[algorithm.oid];
  if (combined) return combined;
  if (algorithm.oid === OID.rsassaPss) {
    try {
      return pssScheme(algorithm.parameters);
    } catch (e) {
      if (e instanceof Asn1FormatError) throw new UnsupportedAlgorithmError(e.message);
      throw e;
    }
  }
  if ((algorithm.oid === OID.rsaEncryption || algorithm.oid === OID.ecPublicKey) && digestHint) {
    return { keyType: algorithm.oid === OID.rsaEncryption ? 'rsa' : 'ec', digest: digestHint };
  }
  throw new UnsupportedAlgorithmError(`unsupported signature algorithm ${algorithm.oid}`);
}

export function keyTypeOf(key: KeyObject): 'rsa' | 'ec' {
  const t = key.asymmetricKeyType;
  if (t === 'rsa' || t === 'rsa-pss') return 'rsa';
  if (t === 'ec') return 'ec';
  throw new UnsupportedAlgorithmError(`unsupported key type ${t ?? 'unknown'}`);
}

/** Verifies `signature` over `data`; false on a mismatch of key type or value. */
export function verifyWithScheme(scheme: SignatureScheme, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  if (keyTypeOf(publicKey) !== scheme.keyType) return false;
  const hash = nodeHashName(scheme.digest);
  try {
    if (scheme.pssSaltLength !== undefined) {
      return nodeVerify(hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.pssSaltLength }, signature);
    }
    return nodeVerify(hash, data, publicKey, signature);
  } catch {
    // OpenSSL throws on structurally broken signatures (e.g. bad ECDSA DER): that is a bad signature.
    return false;
  }
}

/** Signs with PKCS#1 v1.5 (RSA) or ECDSA (DER signature, as X.509 and CMS want). */
export function signData(privateKey: KeyObject, digest: DigestAlgorithm, data: Buffer): Buffer {
  return nodeSign(nodeHashName(digest), data, privateKey);
}

/** AlgorithmIdentifier for an X.509 signature by this key. */
export function x509SignatureAlgorithm(privateKey: KeyObject, digest: DigestAlgorithm): Buffer {
  const keyType = keyTypeOf(privateKey);
  const entry = Object.entries(COMBINED).find(([, s]) => s.keyType === keyType && s.digest === digest && s.pssSaltLength === undefined);
  if (!entry) throw new UnsupportedAlgorithmError(`no ${keyType} signature algorithm with ${digest}`);
  // RSA PKCS#1 algorithms carry NULL parameters; ECDSA ones none (RFC 4055 / RFC 5758).
  return keyType === 'rsa' ? algorithmIdentifier(entry[0], nullValue()) : algorithmIdentifier(entry[0]);
}

/** AlgorithmIdentifier for a CMS SignerInfo signature (what openssl emits). */
export function cmsSignatureAlgorithm(privateKey: KeyObject, digest: DigestAlgorithm): Buffer {
  return keyTypeOf(privateKey) === 'rsa' ? algorithmIdentifier(OID.rsaEncryption, nullValue()) : x509SignatureAlgorithm(privateKey, digest);
}
