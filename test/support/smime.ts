/**
 * Users' S/MIME-signed originals for tests, made two independent ways: stock `openssl cms -sign`
 * and pkijs in code (neither shares code with kepd's verifier).
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export interface OriginalSpec {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  body?: string;
  messageId?: string;
  iletiTip?: string;
  iletiId?: string;
  /** Extra top-level header lines ("Name: value"). */
  extraHeaders?: string[];
}

/** CRLF everywhere (as SMTP delivers it); bare LF and lone CR become CRLF. */
export function crlf(s: string | Buffer): Buffer {
  return Buffer.from(s.toString('binary').replace(/\r?\n/g, '\r\n'), 'binary');
}

export function topHeaders(spec: OriginalSpec): string {
  const lines = [
    `From: ${spec.from}`,
    `To: ${spec.to.join(', ')}`,
    ...(spec.cc?.length ? [`Cc: ${spec.cc.join(', ')}`] : []),
    `Subject: ${spec.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${spec.messageId ?? `<${randomBytes(8).toString('hex')}@client.test>`}`,
    ...(spec.iletiTip ? [`X-TR-REM-iletiTip: ${spec.iletiTip}`] : []),
    ...(spec.iletiId ? [`X-TR-REM-iletiID: ${spec.iletiId}`] : []),
    ...(spec.extraHeaders ?? []),
  ];
  return lines.join('\r\n') + '\r\n';
}

export function innerEntity(spec: OriginalSpec): Buffer {
  return crlf(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${spec.body ?? 'Sayın ilgili,\r\nbu bir KEP iletisidir.\r\n'}`);
}

/** `openssl cms -sign` (detached multipart/signed, or opaque with `opaque`), CRLF-normalised. */
export function signWithOpenssl(
  spec: OriginalSpec,
  certPath: string,
  keyPath: string,
  opts: { md?: 'sha256' | 'sha1' | 'sha512'; opaque?: boolean } = {},
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'kepd-cms-'));
  try {
    const inFile = join(dir, 'in.eml');
    writeFileSync(inFile, innerEntity(spec));
    const args = ['cms', '-sign', '-in', inFile, '-signer', certPath, '-inkey', keyPath, '-md', opts.md ?? 'sha256'];
    if (opts.opaque) args.push('-nodetach');
    const out = execFileSync('openssl', args);
    return Buffer.concat([Buffer.from(topHeaders(spec)), crlf(out)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let engineReady = false;
function ensureEngine(): void {
  if (engineReady) return;
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as never }));
  engineReady = true;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A detached CMS signature made with pkijs over `content` (contentType, signingTime, messageDigest). */
export async function pkijsDetachedSignature(content: Buffer, certPem: string, keyPem: string): Promise<Buffer> {
  ensureEngine();
  const certDer = pemBody(certPem);
  const cert = pkijs.Certificate.fromBER(certDer);
  const keyObject = createPrivateKey(keyPem);
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  const isEc = keyObject.asymmetricKeyType === 'ec';
  const algorithm = isEc ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  const digest = createHash('sha256').update(content).digest();
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }),
            new pkijs.Attribute({ type: '1.2.840.113549.1.9.5', values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
            new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: digest })] }),
          ],
        }),
      }),
    ],
    certificates: [cert],
  });
  await signedData.sign(key as never, 0, 'SHA-256');
  const cms = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signedData.toSchema(true) });
  return Buffer.from(cms.toSchema().toBER(false));
}

/** A multipart/signed original built in code around a pkijs signature. */
export async function signInCode(spec: OriginalSpec, certPem: string, keyPem: string): Promise<Buffer> {
  const inner = innerEntity(spec);
  const sig = await pkijsDetachedSignature(inner, certPem, keyPem);
  const b = `sig-${randomBytes(9).toString('hex')}`;
  const b64 = sig.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.concat([
    Buffer.from(
      topHeaders(spec) +
        `MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"\r\n\r\n` +
        `This is an S/MIME signed message\r\n\r\n--${b}\r\n`,
    ),
    inner,
    Buffer.from(
      `\r\n--${b}\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\n` +
        `Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n${b64}\r\n--${b}--\r\n`,
    ),
  ]);
}

/** An unsigned plain message (must be refused). */
export function unsigned(spec: OriginalSpec): Buffer {
  return Buffer.concat([Buffer.from(topHeaders(spec) + 'MIME-Version: 1.0\r\n'), innerEntity(spec)]);
}

export function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}
