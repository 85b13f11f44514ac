/**
 * Verification of RFC 3161 time-stamp tokens: CMS signature, ESS signing-certificate
 * binding, TSA certificate with critical timeStamping EKU, path to a trust anchor valid at
 * genTime, and the message imprint.
 */
import { createHash } from 'node:crypto';
import { Asn1FormatError } from '../pki/asn1-read';
import { digestByOid, nodeHashName, type DigestAlgorithm } from '../pki/algorithms';
import { parseSignedData } from '../pki/cms-parse';
import { SignatureVerificationError } from '../pki/errors';
import { OID } from '../pki/oids';
import { verifySignerInfo } from '../pki/signer-verify';
import { TimeStampVerificationError } from './errors';
import { parseTstInfo, type TstInfo } from './tst-info';

export interface VerifiedTimeStamp {
  genTime: Date;
  /** TSTInfo serial number, lower-case hex. */
  serialNumber: string;
  policy: string;
  /** 'SHA-256' etc., or the OID when the algorithm is not one we know. */
  imprintAlgorithm: string;
  imprint: Buffer;
  tsaCertificateDer: Buffer;
  /** Nonce contents octets, when the token carries one. */
  nonce?: Buffer;
}

export interface TimeStampVerifyOptions {
  /** The digest the token must cover. */
  expectedImprint?: Buffer;
  /** DER of the CAs trusted for TSA certificates. */
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
}

export async function verifyTimeStampToken(tokenDer: Buffer, opts: TimeStampVerifyOptions): Promise<VerifiedTimeStamp> {
  let tst: TstInfo;
  let signed;
  try {
    signed = parseSignedData(tokenDer);
    if (signed.eContentType !== OID.tstInfo || !signed.eContent) throw new Asn1FormatError('the token does not encapsulate a TSTInfo');
    if (signed.signerInfos.length !== 1) throw new Asn1FormatError('a time-stamp token has exactly one signer');
    tst = parseTstInfo(signed.eContent);
    if (tst.version !== 1) throw new Asn1FormatError(`unsupported TSTInfo version ${tst.version}`);
  } catch (e) {
    if (e instanceof Asn1FormatError) throw new TimeStampVerificationError('malformed', `time-stamp token is malformed: ${e.message}`, e);
    throw e;
  }
  const eContent = signed.eContent;
  let tsaCertificateDer: Buffer;
  try {
    const signer = await verifySignerInfo({
      signerInfo: signed.signerInfos[0],
      eContentType: OID.tstInfo,
      contentDigest: async (alg: DigestAlgorithm) => createHash(nodeHashName(alg)).update(eContent).digest(),
      certificates: signed.certificates,
      trustAnchors: opts.trustAnchors,
      intermediates: opts.intermediates,
      at: tst.genTime,
      requireEku: OID.timeStamping,
      requireCriticalEku: true,
      requireEss: true,
    });
    tsaCertificateDer = signer.certificate.der;
  } catch (e) {
    if (e instanceof SignatureVerificationError) {
      const failure = e.failure === 'unsigned' ? 'malformed' : e.failure;
      throw new TimeStampVerificationError(failure, `time-stamp token rejected: ${e.message}`, e);
    }
    throw e;
  }
  if (opts.expectedImprint && !opts.expectedImprint.equals(tst.imprint)) {
    throw new TimeStampVerificationError('imprint-mismatch', 'time-stamp token covers other data (message imprint differs)');
  }
  return {
    genTime: tst.genTime,
    serialNumber: tst.serialNumber.toString('hex').replace(/^0+(?=.)/, ''),
    policy: tst.policy,
    imprintAlgorithm: digestByOid(tst.imprintAlgorithmOid) ?? tst.imprintAlgorithmOid,
    imprint: tst.imprint,
    tsaCertificateDer,
    ...(tst.nonce ? { nonce: tst.nonce } : {}),
  };
}
