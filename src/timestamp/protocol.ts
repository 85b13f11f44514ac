/** RFC 3161 TimeStampReq and TimeStampResp, encoding and parsing. */
import {
  Tag,
  algorithmValue,
  children,
  integerBytes,
  integerNumber,
  isContext,
  isUniversal,
  octetStringContent,
  oidValue,
  parseDer,
  primitiveContent,
  rawBytes,
  sequenceChildren,
} from '../pki/asn1-read';
import { digestAlgorithmIdentifier, type DigestAlgorithm } from '../pki/algorithms';
import * as der from '../pki/der';

export interface TimeStampRequest {
  version: number;
  /** DER of the MessageImprint as received (the TSA echoes it). */
  messageImprintDer: Buffer;
  hashAlgorithmOid: string;
  hashedMessage: Buffer;
  reqPolicy?: string;
  /** DER INTEGER of the nonce as received. */
  nonceDer?: Buffer;
  certReq: boolean;
  hasExtensions: boolean;
}

export function encodeTimeStampRequest(opts: { digest: DigestAlgorithm; hashedMessage: Buffer; nonce?: Buffer; certReq: boolean; reqPolicy?: string }): Buffer {
  return der.sequence(
    der.smallInteger(1),
    der.sequence(digestAlgorithmIdentifier(opts.digest), der.octetString(opts.hashedMessage)),
    ...(opts.reqPolicy ? [der.oid(opts.reqPolicy)] : []),
    ...(opts.nonce ? [der.unsignedInteger(opts.nonce)] : []),
    ...(opts.certReq ? [der.boolean(true)] : []), // DEFAULT FALSE is omitted in DER
  );
}

/** Throws Asn1FormatError when the bytes are not a TimeStampReq. */
export function parseTimeStampRequest(bytes: Buffer): TimeStampRequest {
  const parts = sequenceChildren(parseDer(bytes, 'TimeStampReq'), 'TimeStampReq');
  const [alg, hashed] = sequenceChildren(parts[1], 'messageImprint');
  const req: TimeStampRequest = {
    version: integerNumber(parts[0], 'TimeStampReq version'),
    messageImprintDer: rawBytes(parts[1]),
    hashAlgorithmOid: algorithmValue(alg, 'hashAlgorithm').oid,
    hashedMessage: octetStringContent(hashed, 'hashedMessage'),
    certReq: false,
    hasExtensions: false,
  };
  for (const p of parts.slice(2)) {
    if (isUniversal(p, Tag.oid)) req.reqPolicy = oidValue(p, 'reqPolicy');
    else if (isUniversal(p, Tag.integer)) {
      integerBytes(p, 'nonce');
      req.nonceDer = rawBytes(p);
    } else if (isUniversal(p, Tag.boolean)) req.certReq = primitiveContent(p, 'certReq')[0] !== 0;
    else if (isContext(p, 0)) req.hasExtensions = true;
  }
  return req;
}

/** PKIStatus values (RFC 3161 2.4.2). */
export const PkiStatus = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3, revocationWarning: 4, revocationNotification: 5 } as const;

/** PKIFailureInfo bit numbers. */
export const PkiFailure = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

export type PkiFailureName = keyof typeof PkiFailure;

export function encodeGrantedResponse(tokenDer: Buffer): Buffer {
  return der.sequence(der.sequence(der.smallInteger(PkiStatus.granted)), tokenDer);
}

export function encodeRejection(failure: PkiFailureName, text: string): Buffer {
  return der.sequence(der.sequence(der.smallInteger(PkiStatus.rejection), der.sequence(der.utf8String(text)), der.namedBits([PkiFailure[failure]])));
}

export interface TimeStampResponse {
  status: number;
  statusText?: string;
  failInfo: PkiFailureName[];
  tokenDer?: Buffer;
}

export function parseTimeStampResponse(bytes: Buffer): TimeStampResponse {
  const [statusInfo, token] = sequenceChildren(parseDer(bytes, 'TimeStampResp'), 'TimeStampResp');
  const info = sequenceChildren(statusInfo, 'PKIStatusInfo');
  const res: TimeStampResponse = { status: integerNumber(info[0], 'PKIStatus'), failInfo: [] };
  for (const p of info.slice(1)) {
    if (isUniversal(p, Tag.sequence)) {
      res.statusText = children(p, 'PKIFreeText')
        .map((s) => primitiveContent(s, 'PKIFreeText').toString('utf8'))
        .join('; ');
    } else if (isUniversal(p, Tag.bitString)) {
      const bits = primitiveContent(p, 'PKIFailureInfo');
      for (const [name, bit] of Object.entries(PkiFailure) as Array<[PkiFailureName, number]>) {
        const byte = 1 + Math.floor(bit / 8);
        if (byte < bits.length && bits[byte] & (0x80 >> bit % 8)) res.failInfo.push(name);
      }
    }
  }
  if (token) res.tokenDer = rawBytes(token);
  return res;
}
