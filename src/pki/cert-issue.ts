/** Builds and signs X.509 v3 certificates (development PKI, user certificates for tests). */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { primitiveContent, parseDer, sequenceChildren } from './asn1-read';
import { signData, x509SignatureAlgorithm, type DigestAlgorithm } from './algorithms';
import type { CertificateInfo, KeyUsageName, NameAttribute } from './certs';
import * as der from './der';
import { OID } from './oids';
import { spkiDer } from './keys';

const KEY_USAGE_BIT: Record<KeyUsageName, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};

/** Attributes that X.520 defines as PrintableString. */
const PRINTABLE = new Set<string>([OID.countryName, OID.serialNumber]);

/** One attribute per RDN, in the given order. */
export function encodeName(attrs: NameAttribute[]): Buffer {
  return der.sequence(
    ...attrs.map((a) => {
      const value =
        a.oid === OID.emailAddress
          ? der.ia5String(a.value)
          : PRINTABLE.has(a.oid)
            ? der.printableString(a.value)
            : der.utf8String(a.value);
      return der.setOf(der.sequence(der.oid(a.oid), value));
    }),
  );
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (an identifier, not a security hash). */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const [, bits] = sequenceChildren(parseDer(spkiDer(publicKey), 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
  return createHash('sha1').update(primitiveContent(bits, 'subjectPublicKey').subarray(1)).digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value));
}

/**
 * A positive random 79-bit serial number. RFC 5280 allows 20 octets, but evidence carries the
 * serial as ds:X509SerialNumber (xs:integer) and libxml2's schema validator accepts at most 24
 * decimal digits; 79 bits (≤ 24 digits) keeps every evidence valid with stock xmllint.
 */
export function randomSerial(): Buffer {
  const serial = randomBytes(10);
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 0x01;
  return serial;
}

export interface CertificateTemplate {
  subject: NameAttribute[];
  publicKey: KeyObject;
  /** The issuing CA; omit for a self-signed certificate. */
  issuerCertificate?: CertificateInfo;
  /** Private key of the issuer (of the subject itself when self-signed). */
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  serialNumber?: Buffer;
  /** Makes a CA certificate (basicConstraints cA, critical). */
  ca?: { pathLength?: number };
  keyUsage?: KeyUsageName[];
  extKeyUsage?: { oids: string[]; critical: boolean };
  san?: { emails?: string[]; dnsNames?: string[]; ipAddresses?: string[] };
  /** Digest of the issuer's signature; SHA-256 unless a test needs a weak one. */
  hash?: DigestAlgorithm;
}

/** Returns the DER of the signed certificate. */
export function issueCertificate(t: CertificateTemplate): Buffer {
  const hash = t.hash ?? 'SHA-256';
  const sigAlg = x509SignatureAlgorithm(t.signingKey, hash);
  const subjectDer = encodeName(t.subject);
  const issuerDer = t.issuerCertificate ? t.issuerCertificate.subjectDer : subjectDer;
  const authorityKeyId = t.issuerCertificate ? t.issuerCertificate.subjectKeyId : keyIdentifier(createPublicKey(t.signingKey));

  const extensions: Buffer[] = [];
  if (t.ca) {
    const pathLen = t.ca.pathLength === undefined ? [] : [der.smallInteger(t.ca.pathLength)];
    extensions.push(extension(OID.basicConstraints, true, der.sequence(der.boolean(true), ...pathLen)));
  }
  if (t.keyUsage?.length) {
    extensions.push(extension(OID.keyUsage, true, der.namedBits(t.keyUsage.map((k) => KEY_USAGE_BIT[k]))));
  }
  if (t.extKeyUsage) {
    extensions.push(extension(OID.extKeyUsage, t.extKeyUsage.critical, der.sequence(...t.extKeyUsage.oids.map((o) => der.oid(o)))));
  }
  const names = [
    ...(t.san?.emails ?? []).map((e) => der.implicitPrimitive(1, Buffer.from(e, 'latin1'))),
    ...(t.san?.dnsNames ?? []).map((d) => der.implicitPrimitive(2, Buffer.from(d, 'latin1'))),
    ...(t.san?.ipAddresses ?? []).map((ip) => der.implicitPrimitive(7, ipBytes(ip))),
  ];
  if (names.length) extensions.push(extension(OID.subjectAltName, false, der.sequence(...names)));
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(t.publicKey))));
  if (authorityKeyId) {
    extensions.push(extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, authorityKeyId))));
  }

  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(t.serialNumber ?? randomSerial()),
    sigAlg,
    issuerDer,
    der.sequence(der.x509Time(t.notBefore), der.x509Time(t.notAfter)),
    subjectDer,
    spkiDer(t.publicKey),
    der.explicit(3, der.sequence(...extensions)),
  );
  return der.sequence(tbs, sigAlg, der.bitString(signData(t.signingKey, hash, tbs)));
}
