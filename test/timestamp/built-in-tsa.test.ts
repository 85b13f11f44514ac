import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltInTsa, DEV_TSA_POLICY_OID } from '../../src/timestamp/built-in-tsa';
import { parseTimeStampResponse, PkiStatus } from '../../src/timestamp/protocol';
import { derToPem } from '../../src/pki/pem';
import { devPkiFixture, openssl, type DevPkiFixture } from '../support/pki';

describe('BuiltInTsa', () => {
  let fx: DevPkiFixture;
  let tsa: BuiltInTsa;
  beforeAll(async () => {
    fx = await devPkiFixture();
    tsa = new BuiltInTsa(fx.tsa);
  });
  afterAll(() => fx.cleanup());

  const file = (name: string) => join(fx.dir, name);

  async function query(name: string, extra: string[] = []): Promise<Buffer> {
    writeFileSync(file(`${name}.txt`), `data for ${name} ${randomBytes(8).toString('hex')}\n`);
    const r = await openssl(['ts', '-query', '-data', file(`${name}.txt`), '-out', file(`${name}.tsq`), ...extra]);
    expect(r.code).toBe(0);
    return (await import('node:fs')).readFileSync(file(`${name}.tsq`));
  }

  test.each([
    ['with certReq', ['-sha256', '-cert']],
    ['without certReq', ['-sha256']],
    ['without nonce', ['-sha256', '-cert', '-no_nonce']],
    ['SHA-512 imprint', ['-sha512', '-cert']],
  ])('respond(): openssl ts -verify accepts the reply (%s)', async (name, args) => {
    const req = await query(name.replace(/\W/g, '_'), args);
    const resp = await tsa.respond(req);
    const base = name.replace(/\W/g, '_');
    writeFileSync(file(`${base}.tsr`), resp);
    const r = await openssl(['ts', '-verify', '-in', file(`${base}.tsr`), '-queryfile', file(`${base}.tsq`), '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');
    expect(r.code).toBe(0);

    // And against the data itself, independent of the query.
    const r2 = await openssl(['ts', '-verify', '-in', file(`${base}.tsr`), '-data', file(`${base}.txt`), '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(r2.stdout + r2.stderr).toContain('Verification: OK');
  });

  test('reply contents as openssl reads them: v1, policy, nonce, TSA name, certificate only when asked', async () => {
    const withCert = await tsa.respond(await query('text1', ['-sha256', '-cert']));
    writeFileSync(file('text1.tsr'), withCert);
    const text = (await openssl(['ts', '-reply', '-in', file('text1.tsr'), '-text'])).stdout;
    expect(text).toMatch(/Status: Granted\./);
    expect(text).toMatch(/Version: 1/);
    expect(text).toContain(`Policy OID: ${DEV_TSA_POLICY_OID}`);
    expect(text).toMatch(/Nonce: 0x[0-9A-F]+/);
    expect(text).toMatch(/TSA: DirName:.*development TSA/);
    expect(text).toMatch(/Accuracy: 0x01 seconds/);

    const withoutCert = await tsa.respond(await query('text2', ['-sha256']));
    const tokenWith = parseTimeStampResponse(withCert).tokenDer!;
    const tokenWithout = parseTimeStampResponse(withoutCert).tokenDer!;
    expect(tokenWith.includes(fx.tsa.certificateDer)).toBe(true);
    expect(tokenWithout.includes(fx.tsa.certificateDer)).toBe(false);
  });

  test('stamp(): the token verifies with openssl ts -verify -token_in -digest', async () => {
    const digest = createHash('sha256').update(randomBytes(100)).digest();
    const token = await tsa.stamp(digest);
    writeFileSync(file('stamp.tst'), token);
    const r = await openssl(['ts', '-verify', '-token_in', '-in', file('stamp.tst'), '-digest', digest.toString('hex'), '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(r.stdout + r.stderr).toContain('Verification: OK');

    // A different digest must not verify (the check can fail).
    const other = createHash('sha256').update('other').digest('hex');
    const bad = await openssl(['ts', '-verify', '-token_in', '-in', file('stamp.tst'), '-digest', other, '-CAfile', fx.pki.paths.ca, '-untrusted', fx.pki.paths.tsa]);
    expect(bad.stdout + bad.stderr).not.toContain('Verification: OK');
    expect(bad.code).not.toBe(0);
  });

  test('tokens from a TSA under another CA do not verify against this CA', async () => {
    const other = await devPkiFixture();
    try {
      const token = await new BuiltInTsa(other.tsa).stamp(createHash('sha256').update('x').digest());
      writeFileSync(file('foreign.tst'), token);
      writeFileSync(file('foreign-tsa.pem'), derToPem(other.tsa.certificateDer));
      const r = await openssl(['ts', '-verify', '-token_in', '-in', file('foreign.tst'), '-digest', createHash('sha256').update('x').digest('hex'), '-CAfile', fx.pki.paths.ca, '-untrusted', file('foreign-tsa.pem')]);
      expect(r.stdout + r.stderr).not.toContain('Verification: OK');
    } finally {
      other.cleanup();
    }
  });

  test('genTime follows the clock, with milliseconds', async () => {
    const at = new Date('2031-02-03T04:05:06.789Z');
    const clocked = new BuiltInTsa(fx.tsa, { now: () => at });
    const resp = await clocked.respond(await query('clock', ['-sha256']));
    writeFileSync(file('clock.tsr'), resp);
    const text = (await openssl(['ts', '-reply', '-in', file('clock.tsr'), '-text'])).stdout;
    expect(text).toContain('Time stamp: Feb  3 04:05:06.789 2031 GMT');
  });

  describe('rejections', () => {
    test('garbage -> badDataFormat', async () => {
      const res = parseTimeStampResponse(await tsa.respond(randomBytes(50)));
      expect(res.status).toBe(PkiStatus.rejection);
      expect(res.failInfo).toEqual(['badDataFormat']);
      expect(res.tokenDer).toBeUndefined();
    });

    test('SHA-1 imprint -> badAlg (openssl shows the rejection)', async () => {
      const resp = await tsa.respond(await query('sha1', ['-sha1']));
      const res = parseTimeStampResponse(resp);
      expect(res.status).toBe(PkiStatus.rejection);
      expect(res.failInfo).toEqual(['badAlg']);
      writeFileSync(file('sha1.tsr'), resp);
      const text = (await openssl(['ts', '-reply', '-in', file('sha1.tsr'), '-text'])).stdout;
      expect(text).toMatch(/Status: Rejected/);
      expect(text).toMatch(/unrecognized or unsupported algorithm identifier/);
    });

    test('unknown policy -> unacceptedPolicy', async () => {
      const res = parseTimeStampResponse(await tsa.respond(await query('policy', ['-sha256', '-tspolicy', '1.2.3.4'])));
      expect(res.failInfo).toEqual(['unacceptedPolicy']);
    });

    test('our policy asked explicitly -> granted', async () => {
      const res = parseTimeStampResponse(await tsa.respond(await query('policy2', ['-sha256', '-tspolicy', DEV_TSA_POLICY_OID])));
      expect(res.status).toBe(PkiStatus.granted);
    });
  });

  test('stamp() wants a SHA-256 digest', async () => {
    await expect(tsa.stamp(Buffer.alloc(20))).rejects.toThrow('SHA-256');
  });
});
