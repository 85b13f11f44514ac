import { parseCertificate } from '../../src/pki/certs';
import { OID } from '../../src/pki/oids';
import { devPkiFixture, openssl, userCertFiles, type DevPkiFixture } from '../support/pki';

const DAY = 86400_000;

describe('issueUserCertificate', () => {
  let fx: DevPkiFixture;
  beforeAll(async () => {
    fx = await devPkiFixture();
  });
  afterAll(() => fx.cleanup());

  test.each(['ec', 'rsa'] as const)('%s: an S/MIME signing certificate openssl accepts for that purpose', async (keyType) => {
    const u = await userCertFiles(fx, `u-${keyType}`, { keyType, name: 'Deneme Sertifika Sahibi', nationalId: '98765432109' });
    const r = await openssl(['verify', '-CAfile', fx.pki.paths.ca, '-purpose', 'smimesign', u.certPath]);
    expect(r.stdout).toContain(': OK');
    const c = parseCertificate(u.certDer);
    expect(c.publicKey.asymmetricKeyType).toBe(keyType);
    expect(c.emails).toEqual([`u-${keyType}@kep.test`]);
    expect(c.subjectSerialNumber).toBe('98765432109');
    expect(c.commonName).toBe('Deneme Sertifika Sahibi');
    expect(c.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(c.signatureAlgorithm.oid).toBe(OID.ecdsaWithSha256); // signed by the EC dev CA
    expect((await openssl(['x509', '-in', u.certPath, '-noout', '-ext', 'subjectAltName'])).stdout).toContain(`email:u-${keyType}@kep.test`);
  });

  test('defaults: CN is the address, no serialNumber attribute', async () => {
    const c = parseCertificate((await userCertFiles(fx, 'plain')).certDer);
    expect(c.subject).toBe('CN=plain@kep.test');
    expect(c.subjectSerialNumber).toBeUndefined();
  });

  test('knobs for negative tests: validity, EKU, SHA-1', async () => {
    const expired = await userCertFiles(fx, 'old', { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    const r1 = await openssl(['verify', '-CAfile', fx.pki.paths.ca, expired.certPath]);
    expect(r1.code).not.toBe(0);
    expect(r1.stdout + r1.stderr).toMatch(/certificate has expired/);

    const server = await userCertFiles(fx, 'srv', { extKeyUsage: [OID.serverAuth, OID.clientAuth] });
    expect(parseCertificate(server.certDer).extendedKeyUsage?.oids).toEqual([OID.serverAuth, OID.clientAuth]);
    expect((await openssl(['verify', '-CAfile', fx.pki.paths.ca, '-purpose', 'smimesign', server.certPath])).code).not.toBe(0);

    const none = await userCertFiles(fx, 'none', { extKeyUsage: [] });
    expect(parseCertificate(none.certDer).extendedKeyUsage).toBeUndefined();

    const sha1 = await userCertFiles(fx, 'sha1', { hash: 'SHA-1' });
    expect(parseCertificate(sha1.certDer).signatureAlgorithm.oid).toBe(OID.ecdsaWithSha1);
    expect((await openssl(['x509', '-in', sha1.certPath, '-noout', '-text'])).stdout).toContain('ecdsa-with-SHA1');
  });
});
