/**
 * S/MIME signing certificates for users, issued by the development CA (`kepd pki
 * issue-user`, tests). The optional knobs make deliberately bad certificates for tests.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { DigestAlgorithm } from './algorithms';
import { issueCertificate } from './cert-issue';
import { parseCertificate, type NameAttribute } from './certs';
import { generateKeyPair, privateKeyToPem, type KeyType } from './keys';
import { OID } from './oids';
import { certificatesFromFile, derToPem } from './pem';

export interface UserCertificateOptions {
  /** The KEP address (SAN rfc822Name). */
  address: string;
  /** Subject CN; defaults to the address. */
  name?: string;
  /** TC kimlik no / VKN, put in the subject serialNumber attribute (OID 2.5.4.5). */
  nationalId?: string;
  keyType?: KeyType;
  notBefore?: Date;
  notAfter?: Date;
  /** Extended key usages; default [emailProtection]; an empty list omits the extension. */
  extKeyUsage?: string[];
  hash?: Extract<DigestAlgorithm, 'SHA-256' | 'SHA-1'>;
}

export async function issueUserCertificate(
  ca: { certPem: string; keyPem: string },
  opts: UserCertificateOptions,
): Promise<{ certPem: string; keyPem: string }> {
  const caCert = parseCertificate(certificatesFromFile(Buffer.from(ca.certPem))[0]);
  const caKey = createPrivateKey(ca.keyPem);
  const { privateKey } = await generateKeyPair(opts.keyType ?? 'ec');
  const now = Date.now();
  const subject: NameAttribute[] = [{ oid: OID.commonName, value: opts.name || opts.address }];
  if (opts.nationalId) subject.push({ oid: OID.serialNumber, value: opts.nationalId });
  const ekus = opts.extKeyUsage ?? [OID.emailProtection];
  const der = issueCertificate({
    subject,
    publicKey: createPublicKey(privateKey),
    issuerCertificate: caCert,
    signingKey: caKey,
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(Math.min(now + 2 * 365 * 86400_000, caCert.notAfter.getTime())),
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    extKeyUsage: ekus.length ? { oids: ekus, critical: false } : undefined,
    san: { emails: [opts.address] },
    hash: opts.hash ?? 'SHA-256',
  });
  return { certPem: derToPem(der), keyPem: privateKeyToPem(privateKey) };
}
