import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigningIdentity, identityFromPem } from '../../src/pki/identity';
import { KeyFileError, CertificateFormatError } from '../../src/pki/errors';
import { derToPem } from '../../src/pki/pem';
import { devPkiFixture, userCertFiles, type DevPkiFixture } from '../support/pki';

describe('loadSigningIdentity', () => {
  let fx: DevPkiFixture;
  beforeAll(async () => {
    fx = await devPkiFixture();
  });
  afterAll(() => fx.cleanup());

  test('loads certificate, empty chain and a working key', () => {
    const id = loadSigningIdentity(fx.pki.paths.provider, fx.pki.paths.providerKey);
    expect(id.chainDer).toEqual([]);
    expect(id.privateKey.asymmetricKeyType).toBe('ec');
    expect(id.certificateDer).toEqual(fx.provider.certificateDer);
  });

  test('a chain file: intermediates are kept, the root is dropped', async () => {
    const user = await userCertFiles(fx, 'chained');
    const fake = derToPem(fx.tsa.certificateDer); // stands in for an intermediate
    const bundle = join(fx.dir, 'bundle.pem');
    writeFileSync(bundle, user.certPem + fake + fx.caPem);
    const id = loadSigningIdentity(bundle, user.keyPath);
    expect(id.certificateDer).toEqual(user.certDer);
    expect(id.chainDer).toEqual([fx.tsa.certificateDer]);
  });

  test('refuses a key file readable by group or others, naming the file and the fix', () => {
    const key = join(fx.dir, 'open.key.pem');
    copyFileSync(fx.pki.paths.providerKey, key);
    for (const mode of [0o644, 0o640, 0o604]) {
      chmodSync(key, mode);
      let err: unknown;
      try {
        loadSigningIdentity(fx.pki.paths.provider, key);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KeyFileError);
      expect((err as KeyFileError).file).toBe(key);
      expect((err as Error).message).toContain(`chmod 600 ${key}`);
    }
    chmodSync(key, 0o400);
    expect(() => loadSigningIdentity(fx.pki.paths.provider, key)).not.toThrow();
  });

  test('refuses a key that does not belong to the certificate', () => {
    expect(() => loadSigningIdentity(fx.pki.paths.provider, fx.pki.paths.tsaKey)).toThrow(KeyFileError);
    expect(() => identityFromPem(fx.caPem, 'not a key')).toThrow(KeyFileError);
  });

  test('missing files are typed errors', () => {
    expect(() => loadSigningIdentity(fx.pki.paths.provider, join(fx.dir, 'missing.key'))).toThrow(KeyFileError);
    expect(() => loadSigningIdentity(join(fx.dir, 'missing.pem'), fx.pki.paths.providerKey)).toThrow(CertificateFormatError);
  });
});
