/** Key pair generation and PEM export (PKCS#8 private keys). */
import { generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPairCb);

export type KeyType = 'ec' | 'rsa';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** EC P-256 (the default everywhere) or RSA-2048. Async: RSA generation takes a while. */
export async function generateKeyPair(type: KeyType = 'ec'): Promise<KeyPair> {
  if (type === 'rsa') return generate('rsa', { modulusLength: 2048 });
  return generate('ec', { namedCurve: 'P-256' });
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
