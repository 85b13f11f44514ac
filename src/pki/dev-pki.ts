/**
 * The development PKI made by `kepd init`: a root CA and, issued by it, the provider's
 * signing certificate (işlem sertifikası), the built-in TSA's certificate and the TLS
 * certificate. Only missing files are created; existing keys and certificates are kept.
 */
import { promises as fs } from 'node:fs';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { issueCertificate } from './cert-issue';
import { parseCertificate, type CertificateInfo, type NameAttribute } from './certs';
import { DevPkiError } from './errors';
import { fileExists, writeFileIfMissing } from './files';
import { generateKeyPair, privateKeyToPem } from './keys';
import { OID } from './oids';
import { derToPem, certificatesFromFile } from './pem';

export interface DevPkiOptions {
  pkiDir: string;
  /** The provider's mail domain (a TLS certificate name). */
  domain: string;
  providerName: string;
  /** The provider's service e-mail address (SAN of the signing certificate). */
  serviceAddress: string;
}

export interface DevPkiPaths {
  ca: string;
  caKey: string;
  provider: string;
  providerKey: string;
  tsa: string;
  tsaKey: string;
  tls: string;
  tlsKey: string;
  trustDir: string;
  trustDevCa: string;
}

export interface DevPkiResult {
  paths: DevPkiPaths;
  /** Files created by this call (empty when everything existed). */
  created: string[];
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

export function devPkiPaths(pkiDir: string): DevPkiPaths {
  return {
    ca: join(pkiDir, 'ca.pem'),
    caKey: join(pkiDir, 'ca.key.pem'),
    provider: join(pkiDir, 'provider.pem'),
    providerKey: join(pkiDir, 'provider.key.pem'),
    tsa: join(pkiDir, 'tsa.pem'),
    tsaKey: join(pkiDir, 'tsa.key.pem'),
    tls: join(pkiDir, 'tls.pem'),
    tlsKey: join(pkiDir, 'tls.key.pem'),
    trustDir: join(pkiDir, 'trust'),
    trustDevCa: join(pkiDir, 'trust', 'dev-ca.pem'),
  };
}

/** Reads an existing private key, or creates one; `created` tells which. */
async function keyAt(path: string, created: string[]): Promise<KeyObject> {
  if (await fileExists(path)) return createPrivateKey(await fs.readFile(path));
  const { privateKey } = await generateKeyPair('ec');
  if (await writeFileIfMissing(path, privateKeyToPem(privateKey), KEY_MODE)) {
    created.push(path);
    return privateKey;
  }
  return createPrivateKey(await fs.readFile(path)); // created concurrently by someone else
}

async function writeCert(path: string, certDer: Buffer, created: string[]): Promise<void> {
  if (await writeFileIfMissing(path, derToPem(certDer), CERT_MODE)) created.push(path);
}

async function readCert(path: string): Promise<CertificateInfo> {
  return parseCertificate(certificatesFromFile(await fs.readFile(path))[0]);
}

interface LeafSpec {
  cert: string;
  key: string;
  build: (publicKey: KeyObject, ca: { cert: CertificateInfo; key: KeyObject }) => Buffer;
}

export async function ensureDevPki(opts: DevPkiOptions): Promise<DevPkiResult> {
  const paths = devPkiPaths(opts.pkiDir);
  const created: string[] = [];
  await fs.mkdir(paths.trustDir, { recursive: true });
  const now = Date.now();
  const org: NameAttribute = { oid: OID.organizationName, value: opts.providerName };

  // Root CA. A CA certificate without its key is usable as long as nothing must be issued.
  let caKey: KeyObject | undefined;
  if (!(await fileExists(paths.ca))) {
    caKey = await keyAt(paths.caKey, created);
    const publicKey = createPublicKey(caKey);
    const der = issueCertificate({
      subject: [{ oid: OID.commonName, value: `${opts.providerName} development root CA` }, org],
      publicKey,
      signingKey: caKey,
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + 3652 * DAY),
      ca: {},
      keyUsage: ['keyCertSign', 'cRLSign'],
    });
    await writeCert(paths.ca, der, created);
  } else if (await fileExists(paths.caKey)) {
    caKey = createPrivateKey(await fs.readFile(paths.caKey));
  }
  const caCert = await readCert(paths.ca);
  const leafNotAfter = (days: number): Date => new Date(Math.min(now + days * DAY, caCert.notAfter.getTime()));

  const leaves: LeafSpec[] = [
    {
      cert: paths.provider,
      key: paths.providerKey,
      build: (publicKey, ca) =>
        issueCertificate({
          subject: [{ oid: OID.commonName, value: `${opts.providerName} KEP işlem sertifikası` }, org],
          publicKey,
          issuerCertificate: ca.cert,
          signingKey: ca.key,
          notBefore: new Date(now - HOUR),
          notAfter: leafNotAfter(5 * 365),
          keyUsage: ['digitalSignature', 'nonRepudiation'],
          extKeyUsage: { oids: [OID.emailProtection], critical: false },
          san: { emails: [opts.serviceAddress] },
        }),
    },
    {
      cert: paths.tsa,
      key: paths.tsaKey,
      build: (publicKey, ca) =>
        issueCertificate({
          subject: [{ oid: OID.commonName, value: `${opts.providerName} development TSA` }, org],
          publicKey,
          issuerCertificate: ca.cert,
          signingKey: ca.key,
          notBefore: new Date(now - HOUR),
          notAfter: leafNotAfter(5 * 365),
          keyUsage: ['digitalSignature', 'nonRepudiation'],
          // RFC 3161 2.3: timeStamping only, critical (openssl ts -verify insists).
          extKeyUsage: { oids: [OID.timeStamping], critical: true },
        }),
    },
    {
      cert: paths.tls,
      key: paths.tlsKey,
      build: (publicKey, ca) =>
        issueCertificate({
          subject: [{ oid: OID.commonName, value: opts.domain }, org],
          publicKey,
          issuerCertificate: ca.cert,
          signingKey: ca.key,
          notBefore: new Date(now - HOUR),
          // Some TLS clients refuse server certificates valid for more than 825 days.
          notAfter: leafNotAfter(825),
          keyUsage: ['digitalSignature'],
          extKeyUsage: { oids: [OID.serverAuth], critical: false },
          san: { dnsNames: ['localhost', opts.domain], ipAddresses: ['127.0.0.1', '::1'] },
        }),
    },
  ];

  for (const leaf of leaves) {
    if (await fileExists(leaf.cert)) continue;
    if (!caKey) throw new DevPkiError(`cannot issue ${leaf.cert}: the CA key ${paths.caKey} is missing`);
    const key = await keyAt(leaf.key, created);
    await writeCert(leaf.cert, leaf.build(createPublicKey(key), { cert: caCert, key: caKey }), created);
  }

  if (!(await fileExists(paths.trustDevCa))) {
    if (await writeFileIfMissing(paths.trustDevCa, await fs.readFile(paths.ca), CERT_MODE)) created.push(paths.trustDevCa);
  }
  return { paths, created };
}
