/**
 * Verification of a signed evidence (kep-rem.md §10.2–10.4, §10.7, §10.11): shape, XMLDSig
 * references and SignatureValue, XAdES SigningCertificate, the signer's path to a trust anchor
 * (at the time-stamp's time), the SignatureTimeStamp, and optionally the digest of the original.
 * Hostile input yields problems, never an exception.
 */
import { createHash } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { isWeakDigest, nodeHashName, type DigestAlgorithm } from '../pki/algorithms';
import { parseCertificate, type CertificateInfo } from '../pki/certs';
import { validateChain } from '../pki/chain';
import { verifyTimeStampToken } from '../timestamp/verify';
import { childElements, parseXmlSafely } from './dom';
import type { EvidenceData } from './model';
import { EVIDENCE_VERSION, NS_DS } from './namespaces';
import { readEvidence } from './parse';
import { isEvidenceType } from './model';
import { checkReferences, checkSignatureValue, keyInfoCertificates } from './xmldsig-verify';
import {
  certificateMatches,
  findQualifyingProperties,
  readSignatureTimeStamps,
  readSigningCertificates,
  readSigningTime,
  signatureValueImprint,
  type QualifyingParts,
} from './xades-verify';

/** Where the original message's bytes come from: all of them, or a stream of them. */
export type OriginalSource = Buffer | AsyncIterable<Uint8Array>;

export interface EvidenceVerifyOptions {
  /** DER of the CAs trusted for the evidence signer (the provider's işlem sertifikası). */
  trustAnchors: Buffer[];
  /** DER of untrusted intermediates (KeyInfo certificates are used as well). */
  intermediates?: Buffer[];
  /** DER of the CAs trusted for the TSA; default `trustAnchors`. */
  tsaTrustAnchors?: Buffer[];
  /** The original message; its SHA-256 must equal SenderMessageDetails/ds:DigestValue. */
  original?: OriginalSource;
  /** Largest accepted evidence; default 4 MiB. */
  maxBytes?: number;
  /** |EventTime − genTime| above this is reported as a warning; default 5 minutes. */
  maxEventTimeSkewMs?: number;
}

export interface EvidenceChecks {
  schemaShape: boolean;
  references: boolean;
  signatureValue: boolean;
  signingCertificate: boolean;
  chain: boolean;
  timeStamp: boolean;
  /** Present only when an original was given. */
  digest?: boolean;
}

export interface EvidenceVerification {
  valid: boolean;
  /** Why the evidence is not valid (empty when valid). */
  problems: string[];
  /** Remarks that do not make it invalid (e.g. EventTime far from the time-stamp). */
  warnings: string[];
  evidence?: EvidenceData;
  signerCertificateDer?: Buffer;
  timeStamp?: { genTime: Date };
  checks: EvidenceChecks;
}

const DEFAULT_SKEW_MS = 5 * 60_000;
const MAX_KEYINFO_CERTS = 10;

export async function verifyEvidence(xml: Buffer, opts: EvidenceVerifyOptions): Promise<EvidenceVerification> {
  const v = new Verification();
  try {
    await run(v, xml, opts);
  } catch (e) {
    // Defence in depth: any unexpected failure is a problem of this input, not a crash.
    v.problem(`verification failed: ${(e as Error).message}`);
  }
  return v.result();
}

class Verification {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly checks: EvidenceChecks = {
    schemaShape: false,
    references: false,
    signatureValue: false,
    signingCertificate: false,
    chain: false,
    timeStamp: false,
  };
  evidence?: EvidenceData;
  signer?: CertificateInfo;
  genTime?: Date;

  problem(p: string): void {
    this.problems.push(p);
  }

  result(): EvidenceVerification {
    const c = this.checks;
    const allOk = c.schemaShape && c.references && c.signatureValue && c.signingCertificate && c.chain && c.timeStamp && c.digest !== false;
    const r: EvidenceVerification = { valid: allOk && this.problems.length === 0, problems: this.problems, warnings: this.warnings, checks: c };
    if (this.evidence) r.evidence = this.evidence;
    if (this.signer) r.signerCertificateDer = this.signer.der;
    if (this.genTime) r.timeStamp = { genTime: this.genTime };
    return r;
  }
}

async function run(v: Verification, xml: Buffer, opts: EvidenceVerifyOptions): Promise<void> {
  let doc: Document;
  try {
    doc = parseXmlSafely(xml, { maxBytes: opts.maxBytes });
  } catch (e) {
    v.problem((e as Error).message);
    if (opts.original !== undefined) v.checks.digest = false;
    return;
  }
  const root = doc.documentElement!;
  const signature = checkShape(v, doc, root);
  if (signature) await checkSignature(v, doc, root, signature, opts);
  if (opts.original !== undefined) await checkDigest(v, opts.original);
  if (v.evidence && v.genTime) {
    const skew = Math.abs(v.evidence.eventTime.getTime() - v.genTime.getTime());
    if (skew > (opts.maxEventTimeSkewMs ?? DEFAULT_SKEW_MS)) {
      v.warnings.push(
        `EventTime ${v.evidence.eventTime.toISOString()} is ${Math.round(skew / 1000)} s away from the time-stamp ${v.genTime.toISOString()}`,
      );
    }
  }
}

/** Evidence content and structure; returns the enveloped ds:Signature when there is one. */
function checkShape(v: Verification, doc: Document, root: Element): Element | undefined {
  let shapeOk = true;
  try {
    v.evidence = readEvidence(doc);
  } catch (e) {
    v.problem((e as Error).message);
    shapeOk = false;
  }
  if (v.evidence && !isEvidenceType(root.localName ?? '')) {
    v.problem(`root element ${root.localName} is not a TS 102 640-2 v2 element name`);
    shapeOk = false;
  }
  if (!root.getAttribute('version')) {
    v.problem('root element has no version attribute');
    shapeOk = false;
  } else if (root.getAttribute('version') !== EVIDENCE_VERSION) {
    v.warnings.push(`evidence version is ${root.getAttribute('version')}, not ${EVIDENCE_VERSION}`);
  }
  const kids = childElements(root);
  const sigs = kids.filter((k) => k.namespaceURI === NS_DS && k.localName === 'Signature');
  if (sigs.length === 0) {
    v.problem('the evidence is not signed (no ds:Signature in the root element)');
    v.checks.schemaShape = false;
    return undefined;
  }
  if (sigs.length > 1) {
    v.problem('the evidence has more than one ds:Signature');
    shapeOk = false;
  } else if (kids[kids.length - 1] !== sigs[0]) {
    v.problem('ds:Signature is not the last child of the evidence');
    shapeOk = false;
  }
  v.checks.schemaShape = shapeOk;
  return sigs[0];
}

async function checkSignature(v: Verification, doc: Document, root: Element, signature: Element, opts: EvidenceVerifyOptions): Promise<void> {
  const qp = findQualifyingProperties(signature);
  if (typeof qp === 'string') v.problem(qp);
  const parts = typeof qp === 'string' ? undefined : qp;

  checkReferenceCoverage(v, doc, root, signature, parts);

  const keyInfo = keyInfoCertificates(signature);
  if (keyInfo.length === 0) {
    v.problem('ds:KeyInfo carries no X509Certificate');
    return;
  }
  if (keyInfo.length > MAX_KEYINFO_CERTS) {
    // Path building over many look-alike certificates grows combinatorially.
    v.problem(`ds:KeyInfo carries ${keyInfo.length} certificates (at most ${MAX_KEYINFO_CERTS} are accepted)`);
    return;
  }
  let certs: CertificateInfo[];
  try {
    certs = keyInfo.map((d) => parseCertificate(d));
  } catch (e) {
    v.problem(`ds:KeyInfo certificate cannot be read: ${(e as Error).message}`);
    return;
  }

  // The signer is the KeyInfo certificate the signed SigningCertificate names.
  const refs = parts ? readSigningCertificates(parts.signedProperties) : 'xades:SignedProperties is missing';
  let signer: CertificateInfo | undefined;
  if (typeof refs === 'string') {
    v.problem(refs);
  } else {
    signer = certs.find((c) => certificateMatches(refs[0]!, c.der, c.serialNumber));
    if (signer) v.checks.signingCertificate = true;
    else v.problem('xades:SigningCertificate does not match the certificate in ds:KeyInfo');
  }
  signer ??= certs[0]!;
  v.signer = signer;
  if (signer.keyUsage && !signer.keyUsage.includes('digitalSignature') && !signer.keyUsage.includes('nonRepudiation')) {
    v.problem('the signer certificate does not allow digital signatures');
    v.checks.signingCertificate = false;
  }

  const sv = checkSignatureValue(signature, signer.publicKey);
  v.checks.signatureValue = sv.ok;
  if (!sv.ok) v.problem(sv.problem ?? 'signature value does not verify');

  if (parts) await checkTimeStamp(v, signature, parts, keyInfo, opts);
  if (parts) {
    const signingTime = readSigningTime(parts.signedProperties);
    if (signingTime && v.genTime && Math.abs(signingTime.getTime() - v.genTime.getTime()) > (opts.maxEventTimeSkewMs ?? DEFAULT_SKEW_MS)) {
      v.warnings.push(`SigningTime ${signingTime.toISOString()} is far from the time-stamp ${v.genTime.toISOString()}`);
    }
  }

  // Validate the path when the signature existed: at the time-stamp, else now.
  const at = v.genTime ?? new Date();
  try {
    validateChain(signer, { trustAnchors: opts.trustAnchors, intermediates: [...(opts.intermediates ?? []), ...keyInfo], at });
    v.checks.chain = true;
  } catch (e) {
    v.problem(`signer certificate: ${(e as Error).message}`);
  }
}

/** All references must hold, and together they must cover the whole evidence and the SignedProperties. */
function checkReferenceCoverage(v: Verification, doc: Document, root: Element, signature: Element, parts: QualifyingParts | undefined): void {
  const refs = checkReferences(doc, signature);
  let ok = true;
  for (const r of refs) {
    if (!r.ok) {
      ok = false;
      v.problem(r.problem ?? `reference "${r.uri}" does not verify`);
    }
  }
  if (!refs.some((r) => r.ok && r.target === root && r.type === undefined)) {
    ok = false;
    v.problem('no verified reference covers the evidence root element');
  }
  if (parts && !refs.some((r) => r.ok && r.target === parts.signedProperties)) {
    ok = false;
    v.problem('no verified reference covers xades:SignedProperties');
  }
  v.checks.references = ok && parts !== undefined;
}

async function checkTimeStamp(v: Verification, signature: Element, parts: QualifyingParts, keyInfo: Buffer[], opts: EvidenceVerifyOptions): Promise<void> {
  const stamps = readSignatureTimeStamps(parts.qualifyingProperties);
  if (typeof stamps === 'string') {
    v.problem(stamps);
    return;
  }
  const stamp = stamps[0]!;
  let ts;
  try {
    ts = await verifyTimeStampToken(stamp.token, {
      trustAnchors: opts.tsaTrustAnchors ?? opts.trustAnchors,
      intermediates: [...(opts.intermediates ?? []), ...keyInfo],
    });
  } catch (e) {
    v.problem(`SignatureTimeStamp: ${(e as Error).message}`);
    return;
  }
  let hash: string;
  try {
    if (isWeakDigest(ts.imprintAlgorithm as DigestAlgorithm)) throw new Error('weak');
    hash = nodeHashName(ts.imprintAlgorithm as DigestAlgorithm);
  } catch {
    v.problem(`SignatureTimeStamp uses an unsupported or weak imprint algorithm ${ts.imprintAlgorithm}`);
    return;
  }
  const expected = signatureValueImprint(signature, stamp.c14nAlgorithm, hash);
  if (!expected || !expected.equals(ts.imprint)) {
    v.problem('SignatureTimeStamp covers other data than this ds:SignatureValue (message imprint differs)');
    return;
  }
  v.genTime = ts.genTime;
  v.checks.timeStamp = true;
}

async function checkDigest(v: Verification, original: OriginalSource): Promise<void> {
  v.checks.digest = false;
  const claimed = v.evidence?.message?.digestSha256;
  if (!claimed) {
    v.problem('the evidence carries no SHA-256 digest of the original message');
    return;
  }
  const h = createHash('sha256');
  try {
    if (Buffer.isBuffer(original)) h.update(original);
    else for await (const chunk of original) h.update(chunk);
  } catch (e) {
    v.problem(`the original message could not be read: ${(e as Error).message}`);
    return;
  }
  if (h.digest().equals(claimed)) v.checks.digest = true;
  else v.problem('the original message does not match the digest in the evidence');
}
