/**
 * Certification path building and validation (RFC 5280, the parts a mail/evidence service
 * needs): issuer/subject chaining with key identifiers, signatures, CA constraints,
 * validity at a given time and weak-algorithm policy. Revocation is not checked here.
 */
import { isWeakDigest, signatureScheme, UnsupportedAlgorithmError, verifyWithScheme } from './algorithms';
import { isValidAt, parseCertificate, type CertificateInfo, type NameAttribute } from './certs';

export type ChainFailure = 'untrusted' | 'expired' | 'not-yet-valid' | 'weak-algorithm';

export class ChainError extends Error {
  override readonly name = 'ChainError';
  constructor(
    readonly failure: ChainFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ChainOptions {
  /** DER of trusted root (or intermediate) certificates. */
  trustAnchors: Buffer[];
  /** DER of untrusted certificates that may help build the path (e.g. from a SignedData). */
  intermediates?: Buffer[];
  /** Validation time. */
  at: Date;
}

const MAX_DEPTH = 8;

const normalise = (attrs: NameAttribute[]): string =>
  attrs.map((a) => `${a.oid}=${a.value.trim().replace(/\s+/g, ' ').toLowerCase()}`).join('\u0000');

function sameName(aDer: Buffer, aAttrs: NameAttribute[], bDer: Buffer, bAttrs: NameAttribute[]): boolean {
  return aDer.equals(bDer) || normalise(aAttrs) === normalise(bAttrs);
}

function mayHaveIssued(issuer: CertificateInfo, child: CertificateInfo): boolean {
  if (!sameName(issuer.subjectDer, issuer.subjectAttributes, child.issuerDer, child.issuerAttributes)) return false;
  if (child.authorityKeyId && issuer.subjectKeyId && !child.authorityKeyId.equals(issuer.subjectKeyId)) return false;
  return true;
}

const signatureCache = new Map<string, boolean>();

function signedBy(child: CertificateInfo, issuer: CertificateInfo): boolean {
  const key = `${child.sha256}:${issuer.sha256}`;
  let ok = signatureCache.get(key);
  if (ok === undefined) {
    try {
      ok = verifyWithScheme(signatureScheme(child.signatureAlgorithm), issuer.publicKey, child.tbs, child.signatureValue);
    } catch (e) {
      if (!(e instanceof UnsupportedAlgorithmError)) throw e;
      ok = false;
    }
    signatureCache.set(key, ok);
    if (signatureCache.size > 5000) signatureCache.delete(signatureCache.keys().next().value as string);
  }
  return ok;
}

/** Is this certificate allowed to issue `below` more CA certificates under it? */
function canIssue(ca: CertificateInfo, intermediatesBelow: number): boolean {
  if (!ca.isCA) return false;
  if (ca.keyUsage && !ca.keyUsage.includes('keyCertSign')) return false;
  if (ca.pathLength !== undefined && intermediatesBelow > ca.pathLength) return false;
  return true;
}

/** Paths (leaf first, anchor last) whose signatures and CA constraints hold, ignoring time. */
function* paths(
  chain: CertificateInfo[],
  anchors: Map<string, CertificateInfo>,
  pool: CertificateInfo[],
): Generator<CertificateInfo[]> {
  const current = chain[chain.length - 1];
  if (anchors.has(current.sha256)) {
    yield chain;
    return;
  }
  if (chain.length > MAX_DEPTH) return;
  const intermediatesBelow = chain.length - 1;
  for (const candidate of [...anchors.values(), ...pool]) {
    if (chain.some((c) => c.sha256 === candidate.sha256)) continue;
    if (!mayHaveIssued(candidate, current) || !canIssue(candidate, intermediatesBelow)) continue;
    if (!signedBy(current, candidate)) continue;
    yield* paths([...chain, candidate], anchors, pool);
  }
}

function checkPath(path: CertificateInfo[], at: Date): ChainError | undefined {
  for (const cert of path) {
    if (cert.unknownCriticalExtensions.length) {
      return new ChainError('untrusted', `certificate "${cert.subject}" has unsupported critical extensions ${cert.unknownCriticalExtensions.join(', ')}`);
    }
  }
  // The anchor's own signature is not relied on; every other signature is.
  for (const cert of path.slice(0, -1)) {
    const digest = signatureScheme(cert.signatureAlgorithm).digest;
    if (isWeakDigest(digest)) return new ChainError('weak-algorithm', `certificate "${cert.subject}" is signed with ${digest}`);
  }
  for (const cert of path) {
    if (!isValidAt(cert, at)) {
      const expired = at.getTime() > cert.notAfter.getTime();
      return new ChainError(
        expired ? 'expired' : 'not-yet-valid',
        expired
          ? `certificate "${cert.subject}" expired on ${cert.notAfter.toISOString()}`
          : `certificate "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`,
      );
    }
  }
  return undefined;
}

/**
 * Builds a path from `leaf` to a trust anchor and validates it at `opts.at`. Returns the
 * path (leaf first, anchor last); throws ChainError.
 */
export function validateChain(leaf: CertificateInfo, opts: ChainOptions): CertificateInfo[] {
  const anchors = new Map<string, CertificateInfo>();
  for (const der of opts.trustAnchors) {
    const a = parseCertificate(der);
    anchors.set(a.sha256, a);
  }
  const pool = (opts.intermediates ?? []).map((d) => parseCertificate(d)).filter((c) => !anchors.has(c.sha256));
  let firstProblem: ChainError | undefined;
  for (const path of paths([leaf], anchors, pool)) {
    const problem = checkPath(path, opts.at);
    if (!problem) return path;
    firstProblem ??= problem;
  }
  throw firstProblem ?? new ChainError('untrusted', `certificate "${leaf.subject}" (issuer "${leaf.issuer}") does not chain to a trusted CA`);
}
