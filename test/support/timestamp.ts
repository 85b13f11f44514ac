/** Helpers for the time-stamp tests: a TSA signing identity with chosen properties, HTTP posting. */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { request } from 'node:http';
import { issueCertificate } from '../../src/pki/cert-issue';
import { parseCertificate } from '../../src/pki/certs';
import { generateKeyPair } from '../../src/pki/keys';
import { OID } from '../../src/pki/oids';
import type { SigningIdentity } from '../../src/pki/types';
import type { DevPkiFixture } from './pki';

/** A TSA identity issued by the fixture's CA, with a configurable EKU (for negative tests). */
export async function tsaIdentity(
  fx: DevPkiFixture,
  opts: { eku?: { oids: string[]; critical: boolean }; notBefore?: Date; notAfter?: Date } = {},
): Promise<SigningIdentity> {
  const { privateKey } = await generateKeyPair('ec');
  const der = issueCertificate({
    subject: [{ oid: OID.commonName, value: 'Test TSA' }],
    publicKey: createPublicKey(privateKey),
    issuerCertificate: parseCertificate(fx.caDer),
    signingKey: createPrivateKey(fx.caKeyPem),
    notBefore: opts.notBefore ?? new Date(Date.now() - 3600_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + 365 * 86400_000),
    keyUsage: ['digitalSignature'],
    extKeyUsage: opts.eku ?? { oids: [OID.timeStamping], critical: true },
  });
  return { certificateDer: der, chainDer: [], privateKey };
}

/** POSTs bytes and returns status, content type and body. */
export function httpPost(url: string, body: Buffer, contentType = 'application/timestamp-query'): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
