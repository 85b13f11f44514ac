import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySmimeMessage } from '../../src/pki/smime-verify';
import { SignatureVerificationError } from '../../src/pki/errors';
import { issueCertificate } from '../../src/pki/cert-issue';
import { parseCertificate } from '../../src/pki/certs';
import { buildSignedData, contentTypeAttribute, messageDigestAttribute, signingTimeAttribute } from '../../src/pki/cms-build';
import { generateKeyPair, privateKeyToPem } from '../../src/pki/keys';
import { OID } from '../../src/pki/oids';
import { derToPem } from '../../src/pki/pem';
import { bufferSource, fileSource } from '../../src/mime/sources';
import { parseHeaderBlock, getHeader } from '../../src/mime/headers';
import { ReasonCode } from '../../src/errors';
import { devPkiFixture, openssl, toCrlf, userCertFiles, type DevPkiFixture, type UserCertFiles } from '../support/pki';

const DAY = 86400_000;

describe('verifySmimeMessage', () => {
  let fx: DevPkiFixture;
  let ec: UserCertFiles;
  let rsa: UserCertFiles;
  beforeAll(async () => {
    fx = await devPkiFixture();
    ec = await userCertFiles(fx, 'sender', { name: 'Gönderici Test Hesabı', nationalId: '12345678901' });
    rsa = await userCertFiles(fx, 'sender-rsa', { keyType: 'rsa' });
  });
  afterAll(() => fx.cleanup());
  const file = (n: string) => join(fx.dir, n);
  const opts = () => ({ trustAnchors: [fx.caDer], at: new Date() });

  /** The inner entity a user agent signs (LF line ends: openssl canonicalises them). */
  const inner = (text = 'Merhaba, bu bir KEP iletisidir.') =>
    `From: sender@kep.test\nTo: recipient@kep.test\nSubject: =?UTF-8?B?${Buffer.from('Sınav sonucu').toString('base64')}?=\nContent-Type: text/plain; charset=utf-8\n\n${text}\n`;

  /** Signs with openssl, then converts to CRLF as SMTP transport would. */
  async function opensslSigned(name: string, signer: UserCertFiles, args: string[] = [], tool: 'cms' | 'smime' = 'cms', body = inner()): Promise<Buffer> {
    writeFileSync(file(`${name}.in`), body);
    const r = await openssl([tool, '-sign', '-in', file(`${name}.in`), '-signer', signer.certPath, '-inkey', signer.keyPath, '-out', file(`${name}.eml`), ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return toCrlf(readFileSync(file(`${name}.eml`)));
  }

  async function failure(msg: Buffer, o = opts()): Promise<SignatureVerificationError> {
    const err = await verifySmimeMessage(bufferSource(msg), o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureVerificationError);
    return err as SignatureVerificationError;
  }

  describe('accepts', () => {
    test.each([
      ['openssl cms -sign (EC)', 'cms', 'ec', []],
      ['openssl cms -sign (RSA)', 'cms', 'rsa', []],
      ['openssl smime -sign (x-pkcs7-signature, EC)', 'smime', 'ec', []],
      ['openssl cms -sign -md sha512 (RSA)', 'cms', 'rsa', ['-md', 'sha512']],
      ['openssl cms -sign -keyid (subjectKeyIdentifier signer)', 'cms', 'ec', ['-keyid']],
    ] as const)('multipart/signed: %s', async (name, tool, who, args) => {
      const signer = who === 'ec' ? ec : rsa;
      const msg = await opensslSigned(name.replace(/\W+/g, '_'), signer, [...args], tool);
      const v = await verifySmimeMessage(bufferSource(msg), opts());
      expect(v.format).toBe('multipart-signed');
      expect(v.signerCertificateDer).toEqual(signer.certDer);
      expect(v.chainDer).toEqual([fx.caDer]);
      expect(v.digestAlgorithm).toBe((args as readonly string[]).includes('sha512') ? 'SHA-512' : 'SHA-256');
      expect(v.signingTime).toBeInstanceOf(Date);
      // The signed entity is the inner message, exactly as signed: its headers are readable.
      const range = v.signedEntity as { start: number; end: number };
      const entity = msg.subarray(range.start, range.end);
      expect(entity).toEqual(toCrlf(inner()));
      expect(getHeader(parseHeaderBlock(entity), 'from')).toBe('sender@kep.test');
    });

    test.each([
      ['cms', 'ec', []],
      ['smime', 'rsa', []],
      ['cms', 'ec', ['-stream']], // indefinite-length BER, chunked OCTET STRING
    ] as const)('opaque signed-data: openssl %s -sign -nodetach (%s, %j)', async (tool, who, extra) => {
      const signer = who === 'ec' ? ec : rsa;
      const msg = await opensslSigned(`opaque_${tool}_${extra.length}`, signer, ['-nodetach', ...extra], tool);
      const v = await verifySmimeMessage(bufferSource(msg), opts());
      expect(v.format).toBe('opaque');
      expect(v.signedEntity).toEqual(toCrlf(inner()));
      expect(v.signerCertificateDer).toEqual(signer.certDer);
    });

    test('a 20 MB opaque message (asn1js limits), read from a file', async () => {
      const big = inner('x'.repeat(76)) + ('y'.repeat(99) + '\n').repeat(200_000);
      const msg = await opensslSigned('big', ec, ['-nodetach', '-binary'], 'cms', toCrlf(big).toString('latin1'));
      writeFileSync(file('big.crlf.eml'), msg);
      const v = await verifySmimeMessage(fileSource(file('big.crlf.eml')), opts());
      expect((v.signedEntity as Buffer).length).toBeGreaterThan(20_000_000);
    });

    test('a user certificate under an intermediate CA (chain carried in the signature)', async () => {
      const { privateKey: interKey } = await generateKeyPair('ec');
      const interDer = issueCertificate({
        subject: [{ oid: OID.commonName, value: 'Test Intermediate CA' }],
        publicKey: createPublicKey(interKey),
        issuerCertificate: parseCertificate(fx.caDer),
        signingKey: createPrivateKey(fx.caKeyPem),
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + 365 * DAY),
        ca: { pathLength: 0 },
        keyUsage: ['keyCertSign', 'cRLSign'],
      });
      writeFileSync(file('inter.pem'), derToPem(interDer));
      const { issueUserCertificate } = await import('../../src/pki/user-cert');
      const leaf = await issueUserCertificate({ certPem: derToPem(interDer), keyPem: privateKeyToPem(interKey) }, { address: 'deep@kep.test' });
      writeFileSync(file('deep.pem'), leaf.certPem);
      writeFileSync(file('deep.key.pem'), leaf.keyPem);
      const signer = { ...ec, certPath: file('deep.pem'), keyPath: file('deep.key.pem') };
      const withChain = await opensslSigned('deep', signer, ['-certfile', file('inter.pem')]);
      const v = await verifySmimeMessage(bufferSource(withChain), opts());
      expect(v.chainDer).toEqual([interDer, fx.caDer]);
      // Without the intermediate in the signature it cannot chain, unless it is configured.
      const withoutChain = await opensslSigned('deep2', signer);
      expect((await failure(withoutChain)).failure).toBe('untrusted');
      await expect(verifySmimeMessage(bufferSource(withoutChain), { ...opts(), intermediates: [interDer] })).resolves.toBeDefined();
    });

    test('a multipart/signed made in code (no openssl involved)', async () => {
      const signer = { certificateDer: ec.certDer, chainDer: [], privateKey: createPrivateKey(ec.keyPem) };
      const entity = toCrlf(inner('made in code'));
      const sig = await buildSignedData({
        identity: signer,
        eContentType: OID.data,
        signedAttributes: [contentTypeAttribute(OID.data), signingTimeAttribute(new Date()), messageDigestAttribute(createHash('sha256').update(entity).digest())],
      });
      const b = randomBytes(12).toString('base64url');
      const msg = Buffer.concat([
        toCrlf(`MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"\n\n--${b}\n`),
        entity,
        toCrlf(`\n--${b}\nContent-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n\n${sig.toString('base64').replace(/.{64}/g, '$&\n')}\n--${b}--\n`),
      ]);
      const v = await verifySmimeMessage(bufferSource(msg), opts());
      expect(msg.subarray((v.signedEntity as { start: number }).start, (v.signedEntity as { end: number }).end)).toEqual(entity);
      // ...and openssl agrees.
      writeFileSync(file('code.eml'), msg);
      const r = await openssl(['smime', '-verify', '-in', file('code.eml'), '-CAfile', fx.pki.paths.ca, '-out', file('code.out')]);
      expect(r.stderr).toContain('Verification successful');
    });
  });

  describe('rejects, with the failure kind', () => {
    test('tampered content: one byte changed in the signed part', async () => {
      const msg = await opensslSigned('tamper', ec);
      const at = msg.indexOf('Merhaba');
      msg[at] = 'm'.charCodeAt(0);
      const e = await failure(msg);
      expect(e.failure).toBe('bad-signature');
      expect(e.reason).toBe(ReasonCode.InvalidUserSignature);
    });

    test('unknown CA', async () => {
      const other = await devPkiFixture();
      try {
        const stranger = await userCertFiles(other, 'stranger');
        const msg = await opensslSigned('unknown-ca', stranger);
        expect((await failure(msg)).failure).toBe('untrusted');
      } finally {
        other.cleanup();
      }
    });

    test('expired and not-yet-valid certificates (checked at reception time)', async () => {
      const expired = await userCertFiles(fx, 'expired', { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY) });
      const e1 = await failure(await opensslSigned('expired', expired));
      expect(e1.failure).toBe('expired');
      expect(e1.reason).toBe(ReasonCode.UserCertExpiredOrRevoked);
      const future = await userCertFiles(fx, 'future', { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 400 * DAY) });
      const msg = await opensslSigned('future', future);
      expect((await failure(msg)).failure).toBe('not-yet-valid');
      // The same message is fine when received while the certificate is valid.
      await expect(verifySmimeMessage(bufferSource(msg), { trustAnchors: [fx.caDer], at: new Date(Date.now() + 2 * DAY) })).resolves.toBeDefined();
    });

    test('SHA-1 digest (-md sha1) and a SHA-1 signed certificate', async () => {
      expect((await failure(await opensslSigned('sha1', rsa, ['-md', 'sha1']))).failure).toBe('weak-algorithm');
      const sha1Cert = await userCertFiles(fx, 'sha1cert', { hash: 'SHA-1' });
      expect((await failure(await opensslSigned('sha1cert', sha1Cert))).failure).toBe('weak-algorithm');
    });

    test('certificate without emailProtection', async () => {
      const server = await userCertFiles(fx, 'serveronly', { extKeyUsage: [OID.serverAuth] });
      expect((await failure(await opensslSigned('wrong-eku', server))).failure).toBe('wrong-usage');
      // No EKU at all means no restriction (RFC 5280).
      const any = await userCertFiles(fx, 'noeku', { extKeyUsage: [] });
      await expect(verifySmimeMessage(bufferSource(await opensslSigned('no-eku', any)), opts())).resolves.toBeDefined();
    });

    test('unsigned messages', async () => {
      expect((await failure(toCrlf(inner()))).failure).toBe('unsigned');
      const mixed = toCrlf('Content-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n');
      expect((await failure(mixed)).failure).toBe('unsigned');
      const pgp = toCrlf('Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=x\n\n--x\n\nhi\n--x\nContent-Type: application/pgp-signature\n\nsig\n--x--\n');
      expect((await failure(pgp)).failure).toBe('unsigned');
    });

    test('garbage p7s', async () => {
      const msg = await opensslSigned('garbage', ec);
      const text = msg.toString('latin1');
      const start = text.indexOf('\r\n\r\n', text.indexOf('application/pkcs7-signature', text.indexOf('\r\n\r\n') + 4)) + 4;
      const end = text.indexOf('\r\n\r\n', start);
      const garbage = randomBytes(((end - start) * 3) >> 2).toString('base64').slice(0, end - start);
      const bad = Buffer.from(text.slice(0, start) + garbage + text.slice(end), 'latin1');
      expect((await failure(bad)).failure).toBe('malformed');
      const notBase64 = Buffer.from(text.slice(0, start) + '!!!' + text.slice(start + 3), 'latin1');
      expect((await failure(notBase64)).failure).toBe('malformed');
    });

    test('a -binary signature over LF text does not survive CRLF transport', async () => {
      const msg = await opensslSigned('binary-lf', ec, ['-binary']);
      expect((await failure(msg)).failure).toBe('bad-signature');
    });

    test('multipart/signed with a missing part', async () => {
      const one = toCrlf('Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=x\n\n--x\n\nhi\n--x--\n');
      expect((await failure(one)).failure).toBe('malformed');
    });
  });
});
