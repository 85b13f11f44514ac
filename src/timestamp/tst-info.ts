/** RFC 3161 TSTInfo: encoding (built-in TSA) and parsing (verification). */
import {
  Asn1FormatError,
  Tag,
  algorithmValue,
  integerBytes,
  integerNumber,
  isContext,
  isUniversal,
  octetStringContent,
  oidValue,
  parseDer,
  rawBytes,
  sequenceChildren,
  timeValue,
} from '../pki/asn1-read';
import * as der from '../pki/der';

export interface TstInfoSpec {
  policy: string;
  /** DER MessageImprint, echoed byte-exact from the request. */
  messageImprintDer: Buffer;
  serialNumber: Buffer;
  genTime: Date;
  accuracySeconds?: number;
  /** DER INTEGER of the request's nonce, echoed byte-exact. */
  nonceDer?: Buffer;
  /** DER Name of the TSA (put in the tsa field as a directoryName). */
  tsaNameDer?: Buffer;
}

export function encodeTstInfo(spec: TstInfoSpec): Buffer {
  return der.sequence(
    der.smallInteger(1), // RFC 3161: version v1 (asn1 libraries default to 0)
    der.oid(spec.policy),
    spec.messageImprintDer,
    der.unsignedInteger(spec.serialNumber),
    der.generalizedTime(spec.genTime, true),
    ...(spec.accuracySeconds ? [der.sequence(der.smallInteger(spec.accuracySeconds))] : []),
    ...(spec.nonceDer ? [spec.nonceDer] : []),
    ...(spec.tsaNameDer ? [der.explicit(0, der.explicit(4, spec.tsaNameDer))] : []),
  );
}

export interface TstInfo {
  version: number;
  policy: string;
  imprintAlgorithmOid: string;
  imprint: Buffer;
  /** INTEGER contents octets. */
  serialNumber: Buffer;
  genTime: Date;
  /** INTEGER contents octets of the nonce, when present. */
  nonce?: Buffer;
  /** Raw [0] tsa GeneralName, when present. */
  tsaName?: Buffer;
}

export function parseTstInfo(bytes: Buffer): TstInfo {
  const parts = sequenceChildren(parseDer(bytes, 'TSTInfo'), 'TSTInfo');
  const version = integerNumber(parts[0], 'TSTInfo version');
  const policy = oidValue(parts[1], 'TSTInfo policy');
  const [alg, hashed] = sequenceChildren(parts[2], 'messageImprint');
  const info: TstInfo = {
    version,
    policy,
    imprintAlgorithmOid: algorithmValue(alg, 'messageImprint algorithm').oid,
    imprint: octetStringContent(hashed, 'hashedMessage'),
    serialNumber: integerBytes(parts[3], 'TSTInfo serialNumber'),
    genTime: timeValue(parts[4], 'genTime'),
  };
  if (!isUniversal(parts[4], Tag.generalizedTime)) throw new Asn1FormatError('genTime must be a GeneralizedTime');
  for (const p of parts.slice(5)) {
    if (isUniversal(p, Tag.integer)) info.nonce = integerBytes(p, 'nonce');
    else if (isContext(p, 0)) info.tsaName = rawBytes(p);
  }
  return info;
}

/** Integer contents without sign/padding zeros, to compare nonces however they were encoded. */
export function normaliseInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
