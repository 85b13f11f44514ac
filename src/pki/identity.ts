/** Loading a SigningIdentity (certificate + chain + private key) from PEM files. */
import { readFileSync, statSync } from 'node:fs';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { isSelfIssued, parseCertificate } from './certs';
import { CertificateFormatError, KeyFileError } from './errors';
import { spkiDer } from './keys';
import { certificatesFromFile } from './pem';
import type { SigningIdentity } from './types';

/**
 * Throws KeyFileError unless the key file belongs to the user this process runs as and nobody
 * else (group, others) may read it.
 */
export function assertPrivateKeyFileMode(keyPath: string): void {
  if (process.platform === 'win32') return; // POSIX modes do not apply
  let mode: number;
  let owner: number;
  try {
    ({ mode, uid: owner } = statSync(keyPath));
  } catch (e) {
    throw new KeyFileError(keyPath, `cannot read private key file ${keyPath}: ${(e as Error).message}`, e);
  }
  const self = process.getuid?.();
  if (self !== undefined && owner !== self) {
    throw new KeyFileError(
      keyPath,
      `private key file ${keyPath} belongs to uid ${owner}, not to the user kepd runs as (uid ${self}); fix it with: chown ${self} ${keyPath}`,
    );
  }
  if (mode & 0o077) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    throw new KeyFileError(
      keyPath,
      `private key file ${keyPath} is accessible by group or others (mode ${octal}); fix it with: chmod 600 ${keyPath}`,
    );
  }
}

/**
 * Builds an identity from PEM text: the first certificate is the leaf, later ones the chain
 * (self-issued roots among them are dropped: anchors are configured separately).
 */
export function identityFromPem(certPem: string | Buffer, keyPem: string | Buffer, keyLabel = 'private key'): SigningIdentity {
  const ders = certificatesFromFile(Buffer.isBuffer(certPem) ? certPem : Buffer.from(certPem));
  const leaf = parseCertificate(ders[0]);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (e) {
    throw new KeyFileError(keyLabel, `${keyLabel} is not a usable private key: ${(e as Error).message}`, e);
  }
  if (!spkiDer(createPublicKey(privateKey)).equals(spkiDer(leaf.publicKey))) {
    throw new KeyFileError(keyLabel, `${keyLabel} does not belong to the certificate ${leaf.subject}`);
  }
  const chainDer = ders.slice(1).filter((d) => !isSelfIssued(parseCertificate(d)));
  return { certificateDer: leaf.der, chainDer, privateKey };
}

export function loadSigningIdentity(certPath: string, keyPath: string): SigningIdentity {
  assertPrivateKeyFileMode(keyPath);
  let certPem: Buffer;
  let keyPem: Buffer;
  try {
    certPem = readFileSync(certPath);
  } catch (e) {
    throw new CertificateFormatError(`cannot read certificate file ${certPath}: ${(e as Error).message}`, e);
  }
  try {
    keyPem = readFileSync(keyPath);
  } catch (e) {
    throw new KeyFileError(keyPath, `cannot read private key file ${keyPath}: ${(e as Error).message}`, e);
  }
  try {
    return identityFromPem(certPem, keyPem, keyPath);
  } catch (e) {
    if (e instanceof CertificateFormatError) throw new CertificateFormatError(`${certPath}: ${e.message}`, e);
    throw e;
  }
}
