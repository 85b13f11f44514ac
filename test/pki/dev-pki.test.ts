import { createHash } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevPki, devPkiPaths } from '../../src/pki/dev-pki';
import { DevPkiError } from '../../src/pki/errors';
import { parseCertificate, pemToDerList } from '../../src/pki/certs';
import { OID } from '../../src/pki/oids';
import { openssl, tempDir } from '../support/pki';

const opts = (pkiDir: string) => ({ pkiDir, domain: 'kep.example.test', providerName: 'Örnek KEP Hizmetleri A.Ş.', serviceAddress: 'kep@kep.example.test' });
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('ensureDevPki', () => {
  let dir: string;
  let cleanup: () => void;
  let pkiDir: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    pkiDir = join(dir, 'pki');
  });
  afterEach(() => cleanup());

  test('creates every file, keys 0600, all verifiable by openssl with the right purposes', async () => {
    const result = await ensureDevPki(opts(pkiDir));
    const p = result.paths;
    expect(result.created.sort()).toEqual([p.ca, p.caKey, p.provider, p.providerKey, p.tsa, p.tsaKey, p.tls, p.tlsKey, p.trustDevCa].sort());
    for (const key of [p.caKey, p.providerKey, p.tsaKey, p.tlsKey]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(readFileSync(key, 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    }
    expect(readFileSync(p.trustDevCa)).toEqual(readFileSync(p.ca));

    for (const cert of [p.provider, p.tsa, p.tls]) {
      const r = await openssl(['verify', '-CAfile', p.ca, cert]);
      expect(r.stdout).toContain(': OK');
      expect(r.code).toBe(0);
    }
    const purposes = async (file: string) => (await openssl(['x509', '-in', file, '-noout', '-purpose'])).stdout;
    expect(await purposes(p.provider)).toMatch(/S\/MIME signing : Yes/);
    expect(await purposes(p.tsa)).toMatch(/Time Stamp signing : Yes/);
    expect(await purposes(p.tsa)).toMatch(/S\/MIME signing : No/);
    expect(await purposes(p.tls)).toMatch(/SSL server : Yes/);
    expect(await purposes(p.ca)).toMatch(/S\/MIME signing CA : Yes/);

    // Purpose-specific verification as the TLS and S/MIME stacks do it.
    expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'sslserver', p.tls])).code).toBe(0);
    expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'smimesign', p.provider])).code).toBe(0);
    expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'timestampsign', p.tsa])).code).toBe(0);
    expect((await openssl(['verify', '-CAfile', p.ca, '-purpose', 'sslserver', p.provider])).code).not.toBe(0);
  });

  test('certificate contents: names, SANs, key usages, CA flag', async () => {
    const { paths: p } = await ensureDevPki(opts(pkiDir));
    const cert = (file: string) => parseCertificate(pemToDerList(readFileSync(file, 'utf8'))[0]);
    const ca = cert(p.ca);
    expect(ca.isCA).toBe(true);
    expect(ca.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBeGreaterThan(9.9 * 365 * 86400_000);

    const provider = cert(p.provider);
    expect(provider.commonName).toBe('Örnek KEP Hizmetleri A.Ş. KEP işlem sertifikası');
    expect(provider.subjectAttributes).toContainEqual({ oid: OID.organizationName, value: 'Örnek KEP Hizmetleri A.Ş.' });
    expect(provider.emails).toEqual(['kep@kep.example.test']);
    expect(provider.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(provider.extendedKeyUsage).toEqual({ oids: [OID.emailProtection], critical: false });
    expect(provider.isCA).toBe(false);
    expect(provider.issuerDer).toEqual(ca.subjectDer);

    const tsa = cert(p.tsa);
    expect(tsa.extendedKeyUsage).toEqual({ oids: [OID.timeStamping], critical: true });

    const tls = cert(p.tls);
    expect(tls.dnsNames).toEqual(['localhost', 'kep.example.test']);
    expect(tls.ipAddresses).toEqual(['127.0.0.1', '::1']);
    const text = (await openssl(['x509', '-in', p.tls, '-noout', '-ext', 'subjectAltName'])).stdout;
    expect(text).toContain('DNS:localhost');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(text).toMatch(/IP Address:0:0:0:0:0:0:0:1/);
    expect(text).toContain('DNS:kep.example.test');

    // openssl reads the UTF-8 subject the same way.
    const subject = (await openssl(['x509', '-in', p.provider, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus'])).stdout;
    expect(subject).toContain('CN=Örnek KEP Hizmetleri A.Ş. KEP işlem sertifikası');
  });

  test('is safe to run twice and never overwrites', async () => {
    const first = await ensureDevPki(opts(pkiDir));
    const before = Object.fromEntries(Object.entries(first.paths).filter(([k]) => k !== 'trustDir').map(([k, f]) => [k, sha(f)]));
    const second = await ensureDevPki(opts(pkiDir));
    expect(second.created).toEqual([]);
    for (const [k, f] of Object.entries(second.paths)) if (k !== 'trustDir') expect(sha(f)).toBe(before[k]);
  });

  test('re-issues only a missing certificate, keeping its existing key', async () => {
    const { paths: p } = await ensureDevPki(opts(pkiDir));
    const keyHash = sha(p.providerKey);
    const oldCert = sha(p.provider);
    unlinkSync(p.provider);
    const again = await ensureDevPki(opts(pkiDir));
    expect(again.created).toEqual([p.provider]);
    expect(sha(p.providerKey)).toBe(keyHash);
    expect(sha(p.provider)).not.toBe(oldCert);
    // The new certificate belongs to the old key.
    const mod = await openssl(['x509', '-in', p.provider, '-noout', '-pubkey']);
    const fromKey = await openssl(['pkey', '-in', p.providerKey, '-pubout']);
    expect(mod.stdout).toBe(fromKey.stdout);
  });

  test('cannot issue without the CA key, and says which file is missing', async () => {
    const p = devPkiPaths(pkiDir);
    await ensureDevPki(opts(pkiDir));
    unlinkSync(p.caKey);
    unlinkSync(p.tls);
    await expect(ensureDevPki(opts(pkiDir))).rejects.toThrow(DevPkiError);
    await expect(ensureDevPki(opts(pkiDir))).rejects.toThrow(p.caKey);
    expect(existsSync(p.tls)).toBe(false);
  });
});
