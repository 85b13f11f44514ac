/**
 * Signs an evidence: enveloped XAdES-T signature (ds:Signature as the last child of the root)
 * by the provider certificate, with an RFC 3161 SignatureTimeStamp over the canonical
 * ds:SignatureValue (kep-rem.md §6.3). No time-stamp, no evidence: a time-stamper failure
 * makes `sign` throw TimeStampUnavailable.
 *
 * Verify with stock tools:
 *   xmlsec1 --verify --trusted-pem ca.pem [--untrusted-pem intermediate.pem] evidence.xml
 * (the evidence reference is URI="", the SignedProperties Id sits inside ds:Signature, so no
 * --id-attr option is needed).
 *
 * Digests and the signature are computed over the rendered strings, which are written in
 * exclusive-canonical form (see render.ts, xades-build.ts): parsing them back with xmldom
 * costs several times more than everything else here. verifyEvidence recomputes every
 * digest with xml-crypto's exclusive c14n on a parsed DOM, and the tests hold the two equal.
 */
import { createHash } from 'node:crypto';
import { TimeStampUnavailable } from '../errors';
import type { SigningIdentity, TimeStamper } from '../pki/types';
import type { EvidenceData } from './model';
import { XML_DECLARATION, renderEvidenceElement } from './render';
import { prepareSignerMaterial, type SignerMaterial } from './signer-material';
import {
  INDENT,
  buildSignature,
  buildSignatureValue,
  buildSignedInfo,
  buildSignedProperties,
  signatureIds,
} from './xades-build';

export interface EvidenceSignerOptions {
  identity: SigningIdentity;
  timeStamper: TimeStamper;
  /** Clock for SigningTime (tests). */
  now?: () => Date;
}

export class EvidenceSigner {
  private readonly material: SignerMaterial;
  private readonly timeStamper: TimeStamper;
  private readonly now: () => Date;

  constructor(opts: EvidenceSignerOptions) {
    this.material = prepareSignerMaterial(opts.identity);
    this.timeStamper = opts.timeStamper;
    this.now = opts.now ?? (() => new Date());
  }

  /** Signed evidence XML bytes (UTF-8, with XML declaration). */
  async sign(data: EvidenceData): Promise<Buffer> {
    const m = this.material;
    const ids = signatureIds(data.id);
    const root = renderEvidenceElement(data);
    const closeAt = root.lastIndexOf('</');
    const head = root.slice(0, closeAt);
    const close = root.slice(closeAt);

    // The signature goes in as INDENT + <ds:Signature…>…</ds:Signature> + "\n" before the
    // closing tag. What the enveloped-signature transform leaves is that text without the
    // element, so the evidence digest is taken over exactly that.
    const evidenceC14n = head + INDENT + '\n' + close;

    const signedProperties = buildSignedProperties({
      ids,
      signingTime: this.now().toISOString(),
      certDigestB64: m.certDigestB64,
      issuerName: m.issuerName,
      serialDecimal: m.serialDecimal,
    });
    const signedInfo = buildSignedInfo({
      ids,
      signatureMethod: m.signatureMethod,
      evidenceDigestB64: sha256b64(evidenceC14n),
      signedPropertiesDigestB64: sha256b64(signedProperties),
    });
    const signatureValue = buildSignatureValue(ids, m.sign(Buffer.from(signedInfo, 'utf8')).toString('base64'));
    const token = await this.stamp(createHash('sha256').update(signatureValue, 'utf8').digest());

    const signature = buildSignature({
      ids,
      signedInfo,
      signatureValue,
      certificatesB64: m.certificatesB64,
      signedProperties,
      timeStampB64: token.toString('base64'),
    });
    return Buffer.from(XML_DECLARATION + head + signature + close + '\n', 'utf8');
  }

  private async stamp(digest: Buffer): Promise<Buffer> {
    let token: Buffer;
    try {
      token = await this.timeStamper.stamp(digest);
    } catch (e) {
      if (e instanceof TimeStampUnavailable) throw e;
      throw new TimeStampUnavailable('the time-stamp authority gave no token for the evidence signature', e);
    }
    if (!Buffer.isBuffer(token) || token.length === 0) {
      throw new TimeStampUnavailable('the time-stamp authority returned an empty token');
    }
    return token;
  }
}

function sha256b64(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('base64');
}

