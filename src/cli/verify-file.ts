/**
 * `kepd evidence verify FILE`: an evidence XML, or a REM message (.eml) whose provider
 * signature (CAdES-T) and every enclosed evidence are verified; a dispatch's evidence is also
 * checked against the original it carries. Unusable input is a UsageError (exit 2).
 */
import { readFileSync } from 'node:fs';
import { loadConfig, resolveInData } from '../config';
import { UsageError } from '../errors';
import { verifyEvidence, type EvidenceVerification } from '../evidence/verify';
import { bufferSource, hashRange, MimeFormatError } from '../mime';
import { parseCertificate } from '../pki/certs';
import { verifyDetachedCms } from '../pki/cms-verify';
import { SignatureVerificationError } from '../pki/errors';
import { nodeHashName } from '../pki/algorithms';
import { certificatesFromFile } from '../pki/pem';
import { parseRemMessage } from '../rem/parse';

export interface VerifyFileOptions {
  data?: string;
  ca?: string;
  original?: string;
}

export interface VerifiedItem {
  what: string;
  valid: boolean;
  details: string[];
  problems: string[];
}

export interface VerifyFileResult {
  valid: boolean;
  items: VerifiedItem[];
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Our own CA and those of the configured providers, plus any --ca file. */
function trustAnchors(opts: VerifyFileOptions): Buffer[] {
  const anchors: Buffer[] = [];
  if (opts.data) {
    const config = loadConfig(opts.data);
    anchors.push(...certificatesFromFile(readInput(resolveInData(config.data_dir, config.pki.ca), 'CA')));
    for (const p of config.providers) anchors.push(...certificatesFromFile(readInput(resolveInData(config.data_dir, p.ca), 'provider CA')));
  }
  if (opts.ca) anchors.push(...certificatesFromFile(readInput(opts.ca, 'CA file')));
  if (anchors.length === 0) throw new UsageError('no trust anchors: give --data DIR (its CA) or --ca PEM');
  return anchors;
}

function evidenceItem(name: string, v: EvidenceVerification): VerifiedItem {
  const e = v.evidence;
  const details: string[] = [];
  if (e) {
    details.push(`${e.type} / ${e.event}  ${e.identifier}`);
    if (e.message) details.push(`message ${e.message.providerMessageId}  "${e.message.subject}"`);
    details.push(`event time ${e.eventTime.toISOString()}`);
    for (const r of e.reasons ?? []) details.push(`reason ${r.code}${r.details ? `: ${r.details}` : ''}`);
  }
  if (v.timeStamp) details.push(`time-stamp ${v.timeStamp.genTime.toISOString()}`);
  if (v.signerCertificateDer) details.push(`signed by ${parseCertificate(v.signerCertificateDer).subject}`);
  for (const w of v.warnings) details.push(`warning: ${w}`);
  return { what: `evidence ${name}`, valid: v.valid, details, problems: v.problems };
}

export async function verifyEvidenceFile(file: string, opts: VerifyFileOptions): Promise<VerifyFileResult> {
  const anchors = trustAnchors(opts);
  const bytes = readInput(file, 'file');
  const original = opts.original ? readInput(opts.original, 'original') : undefined;
  const items: VerifiedItem[] = [];
  const head = bytes.subarray(0, 64).toString('utf8').trimStart();

  if (head.startsWith('<')) {
    const v = await verifyEvidence(bytes, { trustAnchors: anchors, tsaTrustAnchors: anchors, original });
    items.push(evidenceItem(file, v));
  } else {
    const src = bufferSource(bytes);
    let rem;
    try {
      rem = await parseRemMessage(src);
    } catch (e) {
      if (e instanceof MimeFormatError) throw new UsageError(`${file} is neither an evidence XML nor a REM message: ${e.message}`);
      throw e;
    }
    const sig: VerifiedItem = { what: 'provider S/MIME signature', valid: false, details: [], problems: [] };
    try {
      const cms = await verifyDetachedCms({
        signatureDer: rem.signatureDer,
        contentDigests: (alg) => hashRange(src, nodeHashName(alg), rem.signed),
        trustAnchors: anchors,
        at: new Date(),
        timeStampTrustAnchors: anchors,
      });
      sig.valid = true;
      sig.details.push(`signed by ${parseCertificate(cms.signerCertificateDer).subject}`);
      if (cms.signatureTimeStamp) sig.details.push(`signature time-stamp ${cms.signatureTimeStamp.genTime.toISOString()}`);
    } catch (e) {
      if (!(e instanceof SignatureVerificationError)) throw e;
      sig.problems.push(e.message);
    }
    items.push(sig);
    if (rem.evidences.length === 0) items.push({ what: 'evidence', valid: false, details: [], problems: ['the message carries no evidence XML'] });
    for (const ev of rem.evidences) {
      const embedded = rem.original ? await src.read(rem.original) : undefined;
      const v = await verifyEvidence(ev.xml, { trustAnchors: anchors, tsaTrustAnchors: anchors, original: original ?? embedded });
      items.push(evidenceItem(ev.filename, v));
    }
  }
  return { valid: items.every((i) => i.valid), items };
}
