/**
 * X.509 certificate parsing and accessors. Certificates are parsed once and cached by the
 * SHA-256 of their DER (parsing is the dominant cost of verification). Raw TBS, names and
 * serial bytes are kept exactly as encoded, for signature checks and issuer matching.
 */
import { sha256Hex } from '../common/hash';
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  Asn1FormatError,
  Tag,
  algorithmValue,
  children,
  integerBytes,
  isContext,
  isUniversal,
  octetStringContent,
  oidValue,
  parseDer,
  primitiveContent,
  rawBytes,
  sequenceChildren,
  timeValue,
  type Asn1Node,
} from './asn1-read';
import { CertificateFormatError } from './errors';
import { OID } from './oids';

export { pemToDerList, derToPem, pemBlocks, certificatesFromFile } from './pem';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** Extensions whose meaning we apply (or that carry no constraint we must enforce). */
const UNDERSTOOD_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  '2.5.29.18', // issuerAltName
  '2.5.29.32', // certificatePolicies: any policy is acceptable to us
  '2.5.29.36', // policyConstraints: no explicit policy is required by us
  '2.5.29.54', // inhibitAnyPolicy
]);

export interface NameAttribute {
  oid: string;
  value: string;
}

export interface CertificateInfo {
  der: Buffer;
  /** Lower-case hex SHA-256 of the DER. */
  sha256: string;
  /** Exact TBSCertificate bytes (what the issuer signed). */
  tbs: Buffer;
  signatureAlgorithm: { oid: string; parameters?: Buffer };
  signatureValue: Buffer;
  /** INTEGER contents octets, as encoded. */
  serialNumber: Buffer;
  /** Serial as lower-case hex without leading zeros. */
  serialHex: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  issuerAttributes: NameAttribute[];
  subjectAttributes: NameAttribute[];
  /** Display form, e.g. "CN=Ali Veli, serialNumber=12345678901". */
  issuer: string;
  subject: string;
  commonName?: string;
  /** Subject serialNumber attribute (OID 2.5.4.5), e.g. a TC kimlik no. */
  subjectSerialNumber?: string;
  /** SAN rfc822Name entries. */
  emails: string[];
  dnsNames: string[];
  /** SAN iPAddress entries in text form. */
  ipAddresses: string[];
  /** undefined when the certificate has no extKeyUsage extension (any usage). */
  extendedKeyUsage?: { oids: string[]; critical: boolean };
  /** undefined when the certificate has no keyUsage extension. */
  keyUsage?: KeyUsageName[];
  isCA: boolean;
  pathLength?: number;
  notBefore: Date;
  notAfter: Date;
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
  spkiDer: Buffer;
  publicKey: KeyObject;
  /** Critical extensions we do not understand; RFC 5280 says such a certificate must not be used. */
  unknownCriticalExtensions: string[];
}

/** Directory string types (X.520) and the other string types names use. */
const STRING_TAGS = new Set<number>([Tag.utf8String, Tag.printableString, Tag.ia5String, 20 /* T61 */, 26 /* Visible */, 28, 30]);

function stringValue(node: Asn1Node | undefined, what: string): string {
  if (!node) throw new Asn1FormatError(`${what}: attribute value missing`);
  // Values that are not strings are shown as RFC 4514 "#<hex of the encoding>".
  if (node.idBlock.tagClass !== 1 || !STRING_TAGS.has(node.idBlock.tagNumber)) return '#' + rawBytes(node).toString('hex');
  const content = primitiveContent(node, what);
  try {
    switch (node.idBlock.tagNumber) {
      case 30: // BMPString (UTF-16BE)
        return Buffer.from(content).swap16().toString('utf16le');
      case 28: // UniversalString (UTF-32BE)
        if (content.length % 4) throw new RangeError('odd length');
        return Array.from({ length: content.length / 4 }, (_, i) => String.fromCodePoint(content.readUInt32BE(i * 4))).join('');
      case Tag.utf8String:
        return content.toString('utf8');
      default:
        return content.toString('latin1');
    }
  } catch (e) {
    throw new Asn1FormatError(`${what}: bad string value (${(e as Error).message})`);
  }
}

/** Attributes of an X.501 Name, in order. */
export function parseName(node: Asn1Node, what: string): NameAttribute[] {
  const attrs: NameAttribute[] = [];
  for (const rdn of sequenceChildren(node, what)) {
    if (!isUniversal(rdn, Tag.set)) throw new Asn1FormatError(`${what}: expected a SET`);
    for (const atv of children(rdn, what)) {
      const [type, value] = sequenceChildren(atv, what);
      attrs.push({ oid: oidValue(type, what), value: stringValue(value, what) });
    }
  }
  return attrs;
}

const SHORT_NAMES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.serialNumber]: 'serialNumber',
  [OID.countryName]: 'C',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.emailAddress]: 'emailAddress',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
};

export function formatName(attrs: NameAttribute[]): string {
  return attrs.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${a.value}`).join(', ');
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  }
  return bytes.toString('hex');
}

interface Extensions {
  info: Pick<
    CertificateInfo,
    'emails' | 'dnsNames' | 'ipAddresses' | 'extendedKeyUsage' | 'keyUsage' | 'isCA' | 'pathLength' | 'subjectKeyId' | 'authorityKeyId'
  >;
  unknownCritical: string[];
}

function parseExtensions(node: Asn1Node | undefined): Extensions {
  const info: Extensions['info'] = { emails: [], dnsNames: [], ipAddresses: [], isCA: false };
  const unknownCritical: string[] = [];
  if (!node) return { info, unknownCritical };
  const list = sequenceChildren(children(node, 'extensions')[0], 'extensions');
  for (const ext of list) {
    const parts = sequenceChildren(ext, 'extension');
    const id = oidValue(parts[0], 'extension id');
    const critical = isUniversal(parts[1], Tag.boolean) ? primitiveContent(parts[1], 'critical')[0] !== 0 : false;
    const value = octetStringContent(parts[parts.length - 1], 'extension value');
    const inner = parseDer(value, `extension ${id}`);
    switch (id) {
      case OID.basicConstraints: {
        const bc = sequenceChildren(inner, 'basicConstraints');
        let i = 0;
        if (isUniversal(bc[i], Tag.boolean)) info.isCA = primitiveContent(bc[i++], 'cA')[0] !== 0;
        if (isUniversal(bc[i], Tag.integer)) {
          const n = integerBytes(bc[i], 'pathLen');
          info.pathLength = n.length <= 6 ? n.readUIntBE(0, n.length) : Number.MAX_SAFE_INTEGER;
        }
        break;
      }
      case OID.keyUsage: {
        const bits = primitiveContent(inner, 'keyUsage');
        const names: KeyUsageName[] = [];
        KEY_USAGE_BITS.forEach((name, bit) => {
          const byte = 1 + Math.floor(bit / 8);
          if (byte < bits.length && bits[byte] & (0x80 >> bit % 8)) names.push(name);
        });
        info.keyUsage = names;
        break;
      }
      case OID.extKeyUsage:
        info.extendedKeyUsage = { oids: sequenceChildren(inner, 'extKeyUsage').map((o) => oidValue(o, 'key purpose')), critical };
        break;
      case OID.subjectAltName:
        for (const gn of sequenceChildren(inner, 'subjectAltName')) {
          if (isContext(gn, 1)) info.emails.push(primitiveContent(gn, 'rfc822Name').toString('latin1'));
          else if (isContext(gn, 2)) info.dnsNames.push(primitiveContent(gn, 'dNSName').toString('latin1'));
          else if (isContext(gn, 7)) info.ipAddresses.push(ipText(primitiveContent(gn, 'iPAddress')));
        }
        break;
      case OID.subjectKeyIdentifier:
        info.subjectKeyId = octetStringContent(inner, 'subjectKeyIdentifier');
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = sequenceChildren(inner, 'authorityKeyIdentifier').find((c) => isContext(c, 0));
        if (keyId) info.authorityKeyId = primitiveContent(keyId, 'keyIdentifier');
        break;
      }
      default:
        if (critical && !UNDERSTOOD_EXTENSIONS.has(id)) unknownCritical.push(id);
    }
  }
  return { info, unknownCritical };
}

function decodeCertificate(der: Buffer, sha256: string): CertificateInfo {
  const root = parseDer(der, 'certificate');
  const [tbsNode, sigAlgNode, sigNode] = sequenceChildren(root, 'certificate');
  const tbsParts = sequenceChildren(tbsNode, 'tbsCertificate');
  let i = isContext(tbsParts[0], 0) ? 1 : 0;
  const serialNumber = integerBytes(tbsParts[i++], 'serialNumber');
  i++; // inner signature algorithm (must equal the outer one; the outer is what we use)
  const issuerNode = tbsParts[i++];
  const [notBeforeNode, notAfterNode] = sequenceChildren(tbsParts[i++], 'validity');
  const subjectNode = tbsParts[i++];
  const spkiNode = tbsParts[i++];
  const extNode = tbsParts.slice(i).find((n) => isContext(n, 3));

  if (!isUniversal(sigNode, Tag.bitString)) throw new Asn1FormatError('signatureValue: expected BIT STRING');
  const sigContent = primitiveContent(sigNode, 'signatureValue');
  if (sigContent[0] !== 0) throw new Asn1FormatError('signatureValue: bad BIT STRING');

  const issuerAttributes = parseName(issuerNode, 'issuer');
  const subjectAttributes = parseName(subjectNode, 'subject');
  const spkiDer = rawBytes(spkiNode);
  const { info, unknownCritical } = parseExtensions(extNode);
  const serialHex = serialNumber.toString('hex').replace(/^0+(?=.)/, '');
  return {
    der,
    sha256,
    tbs: rawBytes(tbsNode),
    signatureAlgorithm: algorithmValue(sigAlgNode, 'signatureAlgorithm'),
    signatureValue: sigContent.subarray(1),
    serialNumber,
    serialHex,
    issuerDer: rawBytes(issuerNode),
    subjectDer: rawBytes(subjectNode),
    issuerAttributes,
    subjectAttributes,
    issuer: formatName(issuerAttributes),
    subject: formatName(subjectAttributes),
    commonName: subjectAttributes.find((a) => a.oid === OID.commonName)?.value,
    subjectSerialNumber: subjectAttributes.find((a) => a.oid === OID.serialNumber)?.value,
    notBefore: timeValue(notBeforeNode, 'notBefore'),
    notAfter: timeValue(notAfterNode, 'notAfter'),
    spkiDer,
    publicKey: createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }),
    unknownCriticalExtensions: unknownCritical,
    ...info,
  };
}

const CACHE_LIMIT = 2000;
const cache = new Map<string, CertificateInfo>();


/** Parses a DER certificate (cached); throws CertificateFormatError. */
export function parseCertificate(der: Buffer): CertificateInfo {
  const hash = sha256Hex(der);
  const hit = cache.get(hash);
  if (hit) {
    // Map keeps insertion order: re-inserting makes eviction least-recently-used.
    cache.delete(hash);
    cache.set(hash, hit);
    return hit;
  }
  let info: CertificateInfo;
  try {
    info = decodeCertificate(Buffer.from(der), hash);
  } catch (e) {
    throw new CertificateFormatError(`not a valid X.509 certificate: ${(e as Error).message}`, e);
  }
  cache.set(hash, info);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return info;
}

/** Upper-case colon-separated SHA-256 fingerprint (what `openssl x509 -fingerprint -sha256` prints). */
export function fingerprint(cert: CertificateInfo): string {
  return cert.sha256.toUpperCase().match(/../g)!.join(':');
}

export function isSelfIssued(cert: CertificateInfo): boolean {
  return cert.subjectDer.equals(cert.issuerDer);
}

/** True when the certificate has the EKU, or no EKU restriction at all (RFC 5280 4.2.1.12). */
export function allowsExtendedKeyUsage(cert: CertificateInfo, purpose: string): boolean {
  const eku = cert.extendedKeyUsage;
  return !eku || eku.oids.includes(purpose) || eku.oids.includes(OID.anyExtendedKeyUsage);
}

export function isValidAt(cert: CertificateInfo, at: Date): boolean {
  return cert.notBefore.getTime() <= at.getTime() && at.getTime() <= cert.notAfter.getTime();
}
