import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signDetachedCades } from '../../src/pki/cms-sign';
import { signerConstantsOf } from '../../src/pki/cms-build';
import { verifyDetachedCms } from '../../src/pki/cms-verify';
import { parseSignedData, findAttribute } from '../../src/pki/cms-parse';
import { identityFromPem } from '../../src/pki/identity';
import { SignatureVerificationError } from '../../src/pki/errors';
import { OID } from '../../src/pki/oids';
import { nodeHashName } from '../../src/pki/algorithms';
import { BuiltInTsa } from '../../src/timestamp/built-in-tsa';
import { TimeStampUnavailable } from '../../src/errors';
import type { TimeStamper } from '../../src/pki/types';
import { devPkiFixture, openssl, toCrlf, userCertFiles, type DevPkiFixture } from '../support/pki';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

describe('signDetachedCades', () => {
  let fx: DevPkiFixture;
  let tsa: BuiltInTsa;
  beforeAll(async () => {
    fx = await devPkiFixture();
    tsa = new BuiltInTsa(fx.tsa);
  });
  afterAll(() => fx.cleanup());
  const file = (n: string) => join(fx.dir, n);

  test('openssl cms -verify accepts it (purpose any and S/MIME purpose)', async () => {
    const content = toCrlf(`Content-Type: text/plain; charset=utf-8\n\nKEP iletisi ${randomBytes(4).toString('hex')}\n`);
    writeFileSync(file('content.bin'), content);
    writeFileSync(file('sig.der'), await signDetachedCades({ contentDigest: sha256(content), identity: fx.provider, timeStamper: tsa }));
    for (const purpose of [['-purpose', 'any'], []]) {
      const r = await openssl(['cms', '-verify', '-binary', '-content', file('content.bin'), '-inform', 'DER', '-in', file('sig.der'), '-CAfile', fx.pki.paths.ca, ...purpose, '-out', file('out.bin')]);
      expect(r.stderr).toContain('Verification successful');
      expect(r.code).toBe(0);
    }
    // One changed byte in the content: openssl refuses.
    const tampered = Buffer.from(content);
    tampered[tampered.length - 3] ^= 1;
    writeFileSync(file('tampered.bin'), tampered);
    const bad = await openssl(['cms', '-verify', '-binary', '-content', file('tampered.bin'), '-inform', 'DER', '-in', file('sig.der'), '-CAfile', fx.pki.paths.ca, '-purpose', 'any', '-out', file('out.bin')]);
    expect(bad.code).not.toBe(0);
  });

  test('CAdES-B-T attributes; the time-stamp covers the signature value (openssl ts -verify)', async () => {
    const content = Buffer.from('attributes');
    const at = new Date('2030-01-02T03:04:05Z');
    const der = await signDetachedCades({ contentDigest: sha256(content), identity: fx.provider, timeStamper: tsa, signingTime: at });
    writeFileSync(file('attrs.der'), der);
    const printed = (await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file('attrs.der')])).stdout;
    expect(printed).toMatch(/object: contentType/);
    expect(printed).toMatch(/object: signingTime/);
    expect(printed).toMatch(/object: messageDigest/);
    expect(printed).toMatch(/object: id-smime-aa-signingCertificateV2/);
    expect(printed).toMatch(/object: id-smime-aa-timeStampToken/);
    expect(printed).toMatch(/UTCTIME:Jan  2 03:04:05 2030 GMT/);

    const signed = parseSignedData(der);
    const si = signed.signerInfos[0];
    expect(si.sid.kind).toBe('issuerAndSerialNumber');
    const token = Buffer.from(findAttribute(si.unsignedAttrs, OID.signatureTimeStampToken)!.values[0].valueBeforeDecodeView);
    writeFileSync(file('attrs.tst'), token);
    const r = await openssl(['ts', '-verify', '-token_in', '-in', file('attrs.tst'), '-digest', sha256(si.signature).toString('hex'), '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
  });

  test('a multipart/signed built around it passes openssl smime -verify and our verifier', async () => {
    const inner = toCrlf('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nDelil ekte.\n');
    const sig = await signDetachedCades({ contentDigest: sha256(inner), identity: fx.provider, timeStamper: tsa });
    const b = `----=_kepd_${randomBytes(8).toString('hex')}`;
    const msg = Buffer.concat([
      toCrlf(
        `From: kep@kep.test\nTo: user1@kep.test\nSubject: test\nMIME-Version: 1.0\n` +
          `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"\n\n` +
          `This is an S/MIME signed message\n\n--${b}\n`,
      ),
      inner,
      toCrlf(`\n--${b}\nContent-Type: application/pkcs7-signature; name="smime.p7s"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7s"\n\n`),
      toCrlf(sig.toString('base64').replace(/.{76}/g, '$&\n')),
      toCrlf(`\n\n--${b}--\n`),
    ]);
    writeFileSync(file('signed.eml'), msg);
    const r = await openssl(['smime', '-verify', '-in', file('signed.eml'), '-CAfile', fx.pki.paths.ca, '-out', file('signed.out')]);
    expect(r.stderr).toContain('Verification successful');
    expect(readFileSync(file('signed.out'))).toEqual(inner);

    const v = await verifyDetachedCms({
      signatureDer: sig,
      contentDigests: async () => sha256(inner),
      trustAnchors: [fx.caDer],
      at: new Date(),
      requireEku: OID.emailProtection,
      timeStampTrustAnchors: [fx.caDer],
    });
    expect(v.signerCertificateDer).toEqual(fx.provider.certificateDer);
    expect(v.signatureTimeStamp?.tsaCertificateDer).toEqual(fx.tsa.certificateDer);
    await expect(
      verifyDetachedCms({ signatureDer: sig, contentDigests: async () => sha256(Buffer.from('other')), trustAnchors: [fx.caDer], at: new Date() }),
    ).rejects.toMatchObject({ failure: 'bad-signature' });
  });

  test('the per-identity signer constants are reused, and rebuilt when the identity gets another certificate and key', async () => {
    const identity = { ...fx.provider };
    expect(signerConstantsOf(identity)).toBe(signerConstantsOf(identity));
    const content = Buffer.from('renewed certificate');
    const verify = (sig: Buffer) =>
      verifyDetachedCms({ signatureDer: sig, contentDigests: async () => sha256(content), trustAnchors: [fx.caDer], at: new Date(), timeStampTrustAnchors: [fx.caDer] });
    const before = await verify(await signDetachedCades({ contentDigest: sha256(content), identity, timeStamper: tsa }));
    expect(before.signerCertificateDer).toEqual(fx.provider.certificateDer);
    // The same object now holds another certificate (a renewal in place): SID, ESS hash and
    // certificate set must follow it, or the signature would name the old certificate.
    const first = signerConstantsOf(identity);
    identity.certificateDer = fx.tsa.certificateDer;
    identity.chainDer = fx.tsa.chainDer;
    identity.privateKey = fx.tsa.privateKey;
    expect(signerConstantsOf(identity)).not.toBe(first);
    const after = await verify(await signDetachedCades({ contentDigest: sha256(content), identity, timeStamper: tsa }));
    expect(after.signerCertificateDer).toEqual(fx.tsa.certificateDer);
  });

  test('flipped bits in a signature: always a typed rejection, never a crash', async () => {
    const content = Buffer.from('robustness');
    const sig = await signDetachedCades({ contentDigest: sha256(content), identity: fx.provider, timeStamper: tsa });
    // Fields CMS leaves unsigned (versions, the digestAlgorithms SET) may flip harmlessly;
    // the signed attributes and the signature value may not.
    const si = parseSignedData(sig).signerInfos[0];
    const signedAttrs = Buffer.from(si.signedAttrsDer!);
    signedAttrs[0] = 0xa0;
    const attrsAt = sig.indexOf(signedAttrs);
    const sigAt = sig.indexOf(si.signature);
    const mustFail = (pos: number) => (pos >= attrsAt && pos < attrsAt + signedAttrs.length) || (pos >= sigAt && pos < sigAt + si.signature.length);
    expect(attrsAt).toBeGreaterThan(0);
    for (let n = 0; n < 200; n++) {
      const pos = n < 100 ? attrsAt + Math.floor(Math.random() * signedAttrs.length) : Math.floor(Math.random() * sig.length);
      const t = Buffer.from(sig);
      t[pos] ^= 1 << Math.floor(Math.random() * 8);
      const outcome = await verifyDetachedCms({
        signatureDer: t,
        contentDigests: async (alg) => createHash(nodeHashName(alg)).update(content).digest(),
        trustAnchors: [fx.caDer],
        at: new Date(),
        timeStampTrustAnchors: [fx.caDer],
      }).then(
        () => 'verified',
        (e: unknown) => (e instanceof SignatureVerificationError ? 'rejected' : `untyped ${(e as Error).stack}`),
      );
      expect(outcome).not.toMatch(/^untyped/);
      if (mustFail(pos)) expect(`${pos}: ${outcome}`).toBe(`${pos}: rejected`);
    }
  });

  test('RSA signing identities work too', async () => {
    const user = await userCertFiles(fx, 'rsa-provider', { keyType: 'rsa' });
    const identity = identityFromPem(user.certPem, user.keyPem);
    const content = Buffer.from('rsa content\r\n');
    writeFileSync(file('rsa.bin'), content);
    writeFileSync(file('rsa.der'), await signDetachedCades({ contentDigest: sha256(content), identity, timeStamper: tsa }));
    const r = await openssl(['cms', '-verify', '-binary', '-content', file('rsa.bin'), '-inform', 'DER', '-in', file('rsa.der'), '-CAfile', fx.pki.paths.ca, '-purpose', 'any', '-out', file('out.bin')]);
    expect(r.stderr).toContain('Verification successful');
  });

  test('no time-stamp, no signature: TimeStampUnavailable propagates', async () => {
    const down: TimeStamper = { stamp: async () => Promise.reject(new TimeStampUnavailable('TSA down')) };
    await expect(signDetachedCades({ contentDigest: sha256(Buffer.from('x')), identity: fx.provider, timeStamper: down })).rejects.toBeInstanceOf(TimeStampUnavailable);
  });

  test('a signature time-stamp from an untrusted TSA is rejected when TSA anchors are required', async () => {
    const other = await devPkiFixture();
    try {
      const content = Buffer.from('y');
      const sig = await signDetachedCades({ contentDigest: sha256(content), identity: fx.provider, timeStamper: new BuiltInTsa(other.tsa) });
      const opts = { signatureDer: sig, contentDigests: async () => sha256(content), trustAnchors: [fx.caDer], at: new Date() };
      await expect(verifyDetachedCms(opts)).resolves.toBeDefined(); // not asked to check the token
      const err = await verifyDetachedCms({ ...opts, timeStampTrustAnchors: [fx.caDer] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SignatureVerificationError);
      expect((err as SignatureVerificationError).failure).toBe('untrusted');
    } finally {
      other.cleanup();
    }
  });
});
