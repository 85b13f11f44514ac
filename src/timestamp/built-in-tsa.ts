/**
 * The built-in RFC 3161 time-stamp authority (development and single-host setups), signing
 * with the TSA SigningIdentity. Tokens follow what `openssl ts -verify` requires: TSTInfo v1,
 * signer by issuerAndSerialNumber, ESS signing-certificate-v2.
 */
import { randomBytesPooled } from '../common/random';
import { digestByOid, digestAlgorithmIdentifier, isWeakDigest } from '../pki/algorithms';
import { Asn1FormatError } from '../pki/asn1-read';
import {
  buildSignedData,
  contentTypeAttribute,
  digestOf,
  messageDigestAttribute,
  signerConstantsOf,
  signingTimeAttribute,
} from '../pki/cms-build';
import * as der from '../pki/der';
import { DEV_TSA_POLICY_OID, OID } from '../pki/oids';
import type { SigningIdentity, TimeStamper } from '../pki/types';
import { TimeStampUnavailable } from '../errors';
import { encodeGrantedResponse, encodeRejection, parseTimeStampRequest, type PkiFailureName } from './protocol';
import { encodeTstInfo } from './tst-info';

export { DEV_TSA_POLICY_OID };

export interface BuiltInTsaOptions {
  /** TSA policy OID; default DEV_TSA_POLICY_OID. */
  policy?: string;
  /** Clock (tests move it); default the system clock. */
  now?: () => Date;
}

const DIGEST_LENGTH: Record<string, number> = { 'SHA-224': 28, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

class Rejected extends Error {
  constructor(
    readonly failure: PkiFailureName,
    message: string,
  ) {
    super(message);
  }
}

export class BuiltInTsa implements TimeStamper {
  readonly policy: string;
  private readonly now: () => Date;

  constructor(
    private readonly identity: SigningIdentity,
    opts: BuiltInTsaOptions = {},
  ) {
    this.policy = opts.policy ?? DEV_TSA_POLICY_OID;
    this.now = opts.now ?? (() => new Date());
  }

  async stamp(sha256Digest: Buffer): Promise<Buffer> {
    if (sha256Digest.length !== 32) throw new TimeStampUnavailable('a SHA-256 digest (32 bytes) is required');
    try {
      return await this.issue(der.sequence(digestAlgorithmIdentifier('SHA-256'), der.octetString(sha256Digest)), undefined, true);
    } catch (e) {
      throw new TimeStampUnavailable(`built-in TSA failed: ${(e as Error).message}`, e);
    }
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp (granted, or a rejection with a reason). */
  async respond(requestDer: Buffer): Promise<Buffer> {
    try {
      const req = this.checkRequest(requestDer);
      return encodeGrantedResponse(await this.issue(req.messageImprintDer, req.nonceDer, req.certReq));
    } catch (e) {
      if (e instanceof Rejected) return encodeRejection(e.failure, e.message);
      return encodeRejection('systemFailure', 'internal error');
    }
  }

  private checkRequest(requestDer: Buffer): ReturnType<typeof parseTimeStampRequest> {
    let req;
    try {
      req = parseTimeStampRequest(requestDer);
    } catch (e) {
      if (e instanceof Asn1FormatError) throw new Rejected('badDataFormat', 'the request is not a TimeStampReq');
      throw e;
    }
    if (req.version !== 1) throw new Rejected('badRequest', `unsupported request version ${req.version}`);
    const digest = digestByOid(req.hashAlgorithmOid);
    if (!digest || isWeakDigest(digest) || !DIGEST_LENGTH[digest]) throw new Rejected('badAlg', 'unsupported hash algorithm');
    if (req.hashedMessage.length !== DIGEST_LENGTH[digest]) throw new Rejected('badDataFormat', 'the hashed message has the wrong length');
    if (req.reqPolicy && req.reqPolicy !== this.policy) throw new Rejected('unacceptedPolicy', 'unsupported policy');
    if (req.hasExtensions) throw new Rejected('unacceptedExtension', 'request extensions are not supported');
    return req;
  }

  private async issue(messageImprintDer: Buffer, nonceDer: Buffer | undefined, includeCertificate: boolean): Promise<Buffer> {
    const signer = signerConstantsOf(this.identity);
    const genTime = this.now();
    const serial = randomBytesPooled(16);
    serial[0] &= 0x7f; // a positive INTEGER of at most 16 octets
    const tstInfo = encodeTstInfo({
      policy: this.policy,
      messageImprintDer,
      serialNumber: serial,
      genTime,
      accuracySeconds: 1,
      nonceDer,
      tsaNameDer: signer.cert.subjectDer,
    });
    return buildSignedData({
      identity: this.identity,
      eContentType: OID.tstInfo,
      eContent: tstInfo,
      signedAttributes: [
        contentTypeAttribute(OID.tstInfo),
        signingTimeAttribute(genTime),
        messageDigestAttribute(digestOf('SHA-256', tstInfo)),
        signer.signingCertificateV2,
      ],
      includeCertificates: includeCertificate,
    });
  }
}
