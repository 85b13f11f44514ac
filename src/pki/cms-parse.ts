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
  parseBer,
  parseDer,
  primitiveContent,
  rawBytes,
  sequenceChildren,
  type Asn1Node,
} from './asn1-read';
import { parseName, type NameAttribute } from './certs';
import { readTlv, tlvChildren, type Tlv } from './der-walk';
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
  const out: CmsAttribute[] = [];
  for (const attr of children(node, what)) {
    const [type, values] = sequenceChildren(attr, what);
    if (!isUniversal(values, Tag.set)) throw new Asn1FormatError(`${what}: attribute values must be a SET`);
    out.push({ oid: oidValue(type, what), values: children(values, what) });
  }
  return out;
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

/**
 * The elements of a SignedData, by position: its identifier octet, the element parsed, and the
 * certificates of a `[0]` element as bytes.
 */
interface SignedDataParts {
  count: number;
  /** Identifier octet of element `i`; -1 past the end. */
  tagOf(i: number): number;
  /** Undefined past the end (the readers then say what is missing). */
  node(i: number): Asn1Node | undefined;
  certificates(i: number): Buffer[];
}

/** Every element parsed at once (with asn1js for `parseBer`: any BER it accepts). */
function partsFromTree(contentInfoDer: Buffer, parse = parseDer): { contentType: Asn1Node; parts: SignedDataParts } {
  const [contentType, wrapped] = sequenceChildren(parse(contentInfoDer, 'ContentInfo'), 'ContentInfo');
  if (!isContext(wrapped, 0)) throw new Asn1FormatError('ContentInfo: missing content');
  const nodes = sequenceChildren(children(wrapped, 'ContentInfo')[0], 'SignedData');
  const tagOf = (i: number): number => {
    const n = nodes[i];
    if (!n || n.idBlock.tagNumber > 30) return -1;
    return ((n.idBlock.tagClass - 1) << 6) | (n.idBlock.isConstructed ? 0x20 : 0) | n.idBlock.tagNumber;
  };
  return {
    contentType,
    parts: {
      count: nodes.length,
      tagOf,
      node: (i) => nodes[i],
      certificates: (i) => children(nodes[i], 'certificates').filter((c) => isUniversal(c, Tag.sequence)).map(rawBytes),
    },
  };
}

/**
 * The same from the bytes, parsing only the small elements: the certificates (most of a
 * signature's bytes, and most of asn1js's time) are sliced out unparsed. Undefined for
 * anything but plain definite-length encodings; the asn1js path then decides.
 */
function partsFromDer(der: Buffer): { contentType: Asn1Node; parts: SignedDataParts } | undefined {
  const top = readTlv(der, 0);
  if (!top || top.tag !== 0x30 || top.end !== der.length) return undefined;
  const outer = tlvChildren(der, top);
  if (!outer || outer.length !== 2 || outer[0].tag !== 0x06 || outer[1].tag !== 0xa0) return undefined;
  const inner = tlvChildren(der, outer[1]);
  if (!inner || inner.length !== 1 || inner[0].tag !== 0x30) return undefined;
  const elements = tlvChildren(der, inner[0]);
  if (!elements) return undefined;
  const slice = (t: Tlv): Buffer => der.subarray(t.start, t.end);
  let certificates: Buffer[] | undefined;
  for (const e of elements) {
    if (e.tag !== 0xa0) continue;
    const certs = tlvChildren(der, e);
    if (!certs) return undefined;
    // Other certificate formats are skipped, as by asn1js, but must still be valid DER.
    for (const c of certs) if (c.tag !== 0x30) parseDer(slice(c), 'certificates');
    certificates = certs.filter((c) => c.tag === 0x30).map((c) => Buffer.from(slice(c)));
  }
  return {
    contentType: parseDer(slice(outer[0]), 'contentType'),
    parts: {
      count: elements.length,
      tagOf: (i) => elements[i]?.tag ?? -1,
      node: (i) => (i < elements.length ? parseDer(slice(elements[i]), 'SignedData') : undefined),
      certificates: () => certificates ?? [],
    },
  };
}

/** Parses ContentInfo(SignedData); throws Asn1FormatError when it is anything else. */
export function parseSignedData(contentInfoDer: Buffer): SignedData {
  return readSignedData(partsFromDer(contentInfoDer) ?? partsFromTree(contentInfoDer));
}

/** The same with asn1js reading every element (the tests hold both readers to one result). */
export function parseSignedDataWithAsn1js(contentInfoDer: Buffer): SignedData {
  return readSignedData(partsFromTree(contentInfoDer, parseBer));
}

function readSignedData({ contentType, parts }: { contentType: Asn1Node; parts: SignedDataParts }): SignedData {
  const type = oidValue(contentType, 'contentType');
  if (type !== OID.signedData) throw new Asn1FormatError(`ContentInfo holds ${type}, not SignedData`);
  let i = 0;
  const version = integerNumber(parts.node(i++), 'SignedData version');
  if (![1, 3, 4, 5].includes(version)) throw new Asn1FormatError(`SignedData: unknown version ${version}`);
  // Parsed although unused: every element but the certificates must be valid DER.
  if (!isUniversal(parts.node(i++), Tag.set)) throw new Asn1FormatError('SignedData: bad digestAlgorithms');
  const encap = sequenceChildren(parts.node(i++), 'encapContentInfo');
  const eContentType = oidValue(encap[0], 'eContentType');
  let eContent: Buffer | undefined;
  if (encap[1]) {
    if (!isContext(encap[1], 0)) throw new Asn1FormatError('encapContentInfo: bad eContent');
    eContent = octetStringContent(children(encap[1], 'eContent')[0], 'eContent');
  }
  let certificates: Buffer[] = [];
  if (parts.tagOf(i) === 0xa0) certificates = parts.certificates(i++);
  if ((parts.tagOf(i) & 0xdf) === 0x81) parts.node(i++); // CRLs: checked as DER; revocation is not evaluated here
  if (parts.tagOf(i) !== 0x31) throw new Asn1FormatError('SignedData: missing signerInfos');
  const signerInfos = children(parts.node(i), 'signerInfos').map(signerInfo);
  return { version, eContentType, eContent, certificates, signerInfos };
}

export function findAttribute(attrs: CmsAttribute[], oid: string): CmsAttribute | undefined {
  return attrs.find((a) => a.oid === oid);
}
