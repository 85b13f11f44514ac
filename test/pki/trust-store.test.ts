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
    let clock = 0;
    const store = new TrustStore(dir, undefined, () => clock);
    expect(await store.certificates()).toEqual([]);

    writeFileSync(join(dir, 'one.pem'), fx.caPem);
    writeFileSync(join(dir, 'ignored.txt'), other.caPem);
    expect(await store.certificates()).toEqual([fx.caDer]);

    // `kepd trust add` writes a new file: picked up on the next use.
    const added = await addTrustedCa(dir, other.caPem);
    expect(added.subject).toContain('development root CA');
    expect((await store.certificates()).sort(Buffer.compare)).toEqual([fx.caDer, other.caDer].sort(Buffer.compare));

    // A file rewritten in place (same name; the directory does not change) is re-read once
    // the files are due for their next check, a second later.
    writeFileSync(join(dir, 'one.pem'), derToPem(other.caDer));
    utimesSync(join(dir, 'one.pem'), new Date(), new Date(Date.now() + 5000));
    clock += 999;
    expect((await store.certificates()).sort(Buffer.compare)).toEqual([fx.caDer, other.caDer].sort(Buffer.compare));
    clock += 1;
    expect(await store.certificates()).toEqual([other.caDer]); // deduplicated

    rmSync(added.file);
    rmSync(join(dir, 'one.pem'));
    expect(await store.certificates()).toEqual([]);
  });

  test('concurrent first uses all see the anchors (none gets the cache before it is filled)', async () => {
    const dir = join(fx.dir, 'trust-c');
    mkdirSync(dir);
    writeFileSync(join(dir, 'one.pem'), fx.caPem);
    const store = new TrustStore(dir);
    const all = await Promise.all(Array.from({ length: 20 }, () => store.certificates()));
    for (const certs of all) expect(certs).toEqual([fx.caDer]);
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
