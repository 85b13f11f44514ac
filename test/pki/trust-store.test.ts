import { rmSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { TrustStore, addTrustedCa } from '../../src/pki/trust-store';
import { NotACaCertificateError, CertificateFormatError } from '../../src/pki/errors';
import { derToPem } from '../../src/pki/pem';
import { devPkiFixture, type DevPkiFixture } from '../support/pki';

describe('TrustStore', () => {
  let fx: DevPkiFixture;
  let other: DevPkiFixture;
  beforeAll(async () => {
    fx = await devPkiFixture();
    other = await devPkiFixture();
  });
  afterAll(() => {
    fx.cleanup();
    other.cleanup();
  });

  test('reads every certificate in *.pem files and notices changes without a new instance', async () => {
    const dir = join(fx.dir, 'trust-a');
    mkdirSync(dir);
    const store = new TrustStore(dir);
    expect(await store.certificates()).toEqual([]);

    writeFileSync(join(dir, 'one.pem'), fx.caPem);
    writeFileSync(join(dir, 'ignored.txt'), other.caPem);
    expect(await store.certificates()).toEqual([fx.caDer]);

    // `kepd trust add` writes a new file: picked up on the next use.
    const added = await addTrustedCa(dir, other.caPem);
    expect(added.subject).toContain('development root CA');
    expect((await store.certificates()).sort(Buffer.compare)).toEqual([fx.caDer, other.caDer].sort(Buffer.compare));

    // A file rewritten in place (same name) is re-read too.
    writeFileSync(join(dir, 'one.pem'), derToPem(other.caDer));
    utimesSync(join(dir, 'one.pem'), new Date(), new Date(Date.now() + 5000));
    expect(await store.certificates()).toEqual([other.caDer]); // deduplicated

    rmSync(added.file);
    rmSync(join(dir, 'one.pem'));
    expect(await store.certificates()).toEqual([]);
  });

  test('a broken file does not hide the others; a missing directory is empty', async () => {
    const dir = join(fx.dir, 'trust-b');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'good.pem'), fx.caPem);
    expect(await new TrustStore(dir).certificates()).toEqual([fx.caDer]);
    expect(await new TrustStore(join(fx.dir, 'nope')).certificates()).toEqual([]);
  });

  test('addTrustedCa accepts only CA certificates and is idempotent', async () => {
    const dir = join(fx.dir, 'trust-c');
    await expect(addTrustedCa(dir, derToPem(fx.provider.certificateDer))).rejects.toThrow(NotACaCertificateError);
    await expect(addTrustedCa(dir, derToPem(fx.provider.certificateDer))).rejects.toThrow(/not a CA certificate/);
    await expect(addTrustedCa(dir, 'garbage')).rejects.toThrow(CertificateFormatError);
    const a = await addTrustedCa(dir, fx.caPem);
    const b = await addTrustedCa(dir, fx.caDer);
    expect(b).toEqual(a);
    expect(await new TrustStore(dir).certificates()).toEqual([fx.caDer]);
  });
});
