import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, fingerprint, pemToDerList, derToPem, allowsExtendedKeyUsage, isSelfIssued } from '../../src/pki/certs';
import { certificatesFromFile } from '../../src/pki/pem';
import { CertificateFormatError } from '../../src/pki/errors';
import { OID } from '../../src/pki/oids';
import { devPkiFixture, openssl, userCertFiles, type DevPkiFixture } from '../support/pki';

describe('certificate helpers', () => {
  let fx: DevPkiFixture;
  beforeAll(async () => {
    fx = await devPkiFixture();
  });
  afterAll(() => fx.cleanup());

  test('PEM <-> DER, several certificates per file, DER files', () => {
    const bundle = derToPem(fx.provider.certificateDer) + 'junk between blocks\n' + fx.caPem;
    expect(pemToDerList(bundle)).toEqual([fx.provider.certificateDer, fx.caDer]);
    expect(pemToDerList(bundle, 'PRIVATE KEY')).toEqual([]);
    expect(certificatesFromFile(Buffer.from(bundle))).toHaveLength(2);
    expect(certificatesFromFile(fx.caDer)).toEqual([fx.caDer]);
    expect(() => certificatesFromFile(Buffer.from('nothing here'))).toThrow(CertificateFormatError);
    expect(() => pemToDerList('-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n')).toThrow(CertificateFormatError);
  });

  test('accessors agree with openssl', async () => {
    const user = await userCertFiles(fx, 'acc', { name: 'Örnek Kullanıcı Şahıs', nationalId: '10000000146', keyType: 'rsa' });
    const c = parseCertificate(user.certDer);
    const x509 = async (...a: string[]) => (await openssl(['x509', '-in', user.certPath, '-noout', ...a])).stdout.trim();

    expect(fingerprint(c)).toBe((await x509('-fingerprint', '-sha256')).replace(/^.*=/, ''));
    expect(c.serialHex.toUpperCase()).toBe((await x509('-serial')).replace(/^serial=0*/, ''));
    expect(c.notBefore.getTime()).toBe(new Date((await x509('-startdate')).replace('notBefore=', '')).getTime());
    expect(c.notAfter.getTime()).toBe(new Date((await x509('-enddate')).replace('notAfter=', '')).getTime());
    expect(await x509('-subject', '-nameopt', 'utf8,sep_comma_plus')).toBe('subject=CN=Örnek Kullanıcı Şahıs,serialNumber=10000000146');
    expect(c.subject).toBe('CN=Örnek Kullanıcı Şahıs, serialNumber=10000000146');
    expect(c.subjectSerialNumber).toBe('10000000146');
    expect(c.commonName).toBe('Örnek Kullanıcı Şahıs');
    expect(c.emails).toEqual(['acc@kep.test']);
    expect(c.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(c.extendedKeyUsage).toEqual({ oids: [OID.emailProtection], critical: false });
    expect(c.isCA).toBe(false);
    expect(c.publicKey.asymmetricKeyType).toBe('rsa');
    expect(c.authorityKeyId).toEqual(parseCertificate(fx.caDer).subjectKeyId);
    expect(allowsExtendedKeyUsage(c, OID.emailProtection)).toBe(true);
    expect(allowsExtendedKeyUsage(c, OID.serverAuth)).toBe(false);
    expect(isSelfIssued(c)).toBe(false);
    expect(isSelfIssued(parseCertificate(fx.caDer))).toBe(true);
    // The serialNumber attribute is a PrintableString, as X.520 defines it.
    const asn1 = (await openssl(['asn1parse', '-in', user.certPath])).stdout;
    expect(asn1).toMatch(/:serialNumber\s*\n.*PRINTABLESTRING\s*:10000000146/);
  });

  test('parses certificates made by openssl, with names in other string types', async () => {
    const dir = fx.dir;
    const r = await openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'o.key'), '-out', join(dir, 'o.pem'), '-days', '3',
      '-subj', '/C=TR/O=Örnek/CN=openssl made/emailAddress=x@y.test',
      '-addext', 'subjectAltName=email:x@y.test,DNS:a.test,IP:10.0.0.1',
      '-addext', 'extendedKeyUsage=critical,timeStamping',
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:2',
      '-utf8',
    ]);
    expect(r.code).toBe(0);
    const c = parseCertificate(pemToDerList(readFileSync(join(dir, 'o.pem'), 'utf8'))[0]);
    expect(c.subject).toBe('C=TR, O=Örnek, CN=openssl made, emailAddress=x@y.test');
    expect(c.emails).toEqual(['x@y.test']);
    expect(c.dnsNames).toEqual(['a.test']);
    expect(c.ipAddresses).toEqual(['10.0.0.1']);
    expect(c.extendedKeyUsage).toEqual({ oids: [OID.timeStamping], critical: true });
    expect(c.isCA).toBe(true);
    expect(c.pathLength).toBe(2);
  });

  test('cache returns the same parse; garbage is a CertificateFormatError', () => {
    expect(parseCertificate(fx.caDer)).toBe(parseCertificate(Buffer.from(fx.caDer)));
    expect(() => parseCertificate(randomBytes(100))).toThrow(CertificateFormatError);
    const truncated = fx.caDer.subarray(0, fx.caDer.length - 10);
    expect(() => parseCertificate(truncated)).toThrow(CertificateFormatError);
  });
});
