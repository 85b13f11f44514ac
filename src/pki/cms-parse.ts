/**
 * Reads a CMS ContentInfo/SignedData (RFC 5652) into plain values, keeping the exact bytes
 * that signatures and hashes are computed over.
 */
import {
  Asn1FormatError,
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
  type Asn1Node,
} from './asn1-read';
import { parseName, type NameAttribute } from './certs';
import { OID } from './oids';

export interface AlgorithmId {
  oid: string;
  parameters?: Buffer;
}

export interface CmsAttribute {
  oid: string;
  /** The attribute values, parsed. */
  values: Asn1Node[];
}

export type SignerId =
  | { kind: 'issuerAndSerialNumber'; issuerDer: Buffer; issuerAttributes: NameAttribute[]; serialNumber: Buffer }
  | { kind: 'subjectKeyIdentifier'; keyId: Buffer };

export interface SignerInfo {
  version: number;
  sid: SignerId;
  digestAlgorithm: AlgorithmId;
  /** Signed attributes: DER as a SET OF (tag 0x31), the bytes the signature covers. */
  signedAttrsDer?: Buffer;
  signedAttrs: CmsAttribute[];
  signatureAlgorithm: AlgorithmId;
  signature: Buffer;
  unsignedAttrs: CmsAttribute[];
}

export interface SignedData {
  version: number;
  eContentType: string;
  /** Encapsulated content (absent for detached signatures). */
  eContent?: Buffer;
  /** DER of the X.509 certificates carried (other certificate formats are skipped). */
  certificates: Buffer[];
  signerInfos: SignerInfo[];
}

function attributes(node: Asn1Node, what: string): CmsAttribute[] {
  return children(node, what).map((attr) => {
    const [type, values] = sequenceChildren(attr, what);
    if (!isUniversal(values, Tag.set)) throw new Asn1FormatError(`${what}: attribute values must be a SET`);
    return { oid: oidValue(type, what), values: children(values, what) };
  });
}

function signerId(node: Asn1Node): SignerId {
  if (isContext(node, 0)) return { kind: 'subjectKeyIdentifier', keyId: primitiveContent(node, 'subjectKeyIdentifier') };
  const [issuer, serial] = sequenceChildren(node, 'issuerAndSerialNumber');
  return {
    kind: 'issuerAndSerialNumber',
    issuerDer: rawBytes(issuer),
    issuerAttributes: parseName(issuer, 'issuer'),
    serialNumber: integerBytes(serial, 'serialNumber'),
  };
}

function signerInfo(node: Asn1Node): SignerInfo {
  const parts = sequenceChildren(node, 'SignerInfo');
  let i = 0;
  const version = integerNumber(parts[i++], 'SignerInfo version');
  const sid = signerId(parts[i++]);
  const digestAlgorithm = algorithmValue(parts[i++], 'digestAlgorithm');
  let signedAttrsDer: Buffer | undefined;
  let signedAttrs: CmsAttribute[] = [];
  if (isContext(parts[i], 0)) {
    signedAttrs = attributes(parts[i], 'signedAttrs');
    signedAttrsDer = rawBytes(parts[i]);
    // RFC 5652 5.4: the signature covers the DER of the SET OF, not the [0] IMPLICIT form.
    signedAttrsDer[0] = 0x31;
    i++;
  }
  const signatureAlgorithm = algorithmValue(parts[i++], 'signatureAlgorithm');
  const signature = octetStringContent(parts[i++], 'signature');
  const unsignedAttrs = isContext(parts[i], 1) ? attributes(parts[i], 'unsignedAttrs') : [];
  if (version !== (sid.kind === 'issuerAndSerialNumber' ? 1 : 3)) throw new Asn1FormatError(`SignerInfo: version ${version} does not fit its signer identifier`);
  return { version, sid, digestAlgorithm, signedAttrsDer, signedAttrs, signatureAlgorithm, signature, unsignedAttrs };
}

/** Parses ContentInfo(SignedData); throws Asn1FormatError when it is anything else. */
export function parseSignedData(contentInfoDer: Buffer): SignedData {
  const [contentType, wrapped] = sequenceChildren(parseDer(contentInfoDer, 'ContentInfo'), 'ContentInfo');
  const type = oidValue(contentType, 'contentType');
  if (type !== OID.signedData) throw new Asn1FormatError(`ContentInfo holds ${type}, not SignedData`);
  if (!isContext(wrapped, 0)) throw new Asn1FormatError('ContentInfo: missing content');
  const parts = sequenceChildren(children(wrapped, 'ContentInfo')[0], 'SignedData');
  let i = 0;
  const version = integerNumber(parts[i++], 'SignedData version');
  if (![1, 3, 4, 5].includes(version)) throw new Asn1FormatError(`SignedData: unknown version ${version}`);
  if (!isUniversal(parts[i++], Tag.set)) throw new Asn1FormatError('SignedData: bad digestAlgorithms');
  const encap = sequenceChildren(parts[i++], 'encapContentInfo');
  const eContentType = oidValue(encap[0], 'eContentType');
  let eContent: Buffer | undefined;
  if (encap[1]) {
    if (!isContext(encap[1], 0)) throw new Asn1FormatError('encapContentInfo: bad eContent');
    eContent = octetStringContent(children(encap[1], 'eContent')[0], 'eContent');
  }
  const certificates: Buffer[] = [];
  if (isContext(parts[i], 0)) {
    for (const c of children(parts[i], 'certificates')) if (isUniversal(c, Tag.sequence)) certificates.push(rawBytes(c));
    i++;
  }
  if (isContext(parts[i], 1)) i++; // CRLs: revocation is not evaluated here
  if (!isUniversal(parts[i], Tag.set)) throw new Asn1FormatError('SignedData: missing signerInfos');
  const signerInfos = children(parts[i], 'signerInfos').map(signerInfo);
  return { version, eContentType, eContent, certificates, signerInfos };
}

export function findAttribute(attrs: CmsAttribute[], oid: string): CmsAttribute | undefined {
  return attrs.find((a) => a.oid === oid);
}
