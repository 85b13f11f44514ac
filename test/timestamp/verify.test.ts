import { createHash, randomBytes } from 'node:crypto';
import { BuiltInTsa, DEV_TSA_POLICY_OID } from '../../src/timestamp/built-in-tsa';
import { verifyTimeStampToken } from '../../src/timestamp/verify';
import { TimeStampVerificationError } from '../../src/timestamp/errors';
import { parseCertificate } from '../../src/pki/certs';
import { OID } from '../../src/pki/oids';
import { parseSignedData } from '../../src/pki/cms-parse';
import { devPkiFixture, type DevPkiFixture } from '../support/pki';
import { tsaIdentity } from '../support/timestamp';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TimeStampVerificationError);
    return (e as TimeStampVerificationError).failure;
  }
  throw new Error('expected the verification to fail');
}

describe('verifyTimeStampToken', () => {
  let fx: DevPkiFixture;
  let tsa: BuiltInTsa;
  beforeAll(async () => {
    fx = await devPkiFixture();
    tsa = new BuiltInTsa(fx.tsa);
  });
  afterAll(() => fx.cleanup());

  test('accepts a token from the built-in TSA and reports its fields', async () => {
    const digest = sha256(randomBytes(64));
    const before = Date.now();
    const token = await tsa.stamp(digest);
    const v = await verifyTimeStampToken(token, { expectedImprint: digest, trustAnchors: [fx.caDer] });
    expect(v.imprint).toEqual(digest);
    expect(v.imprintAlgorithm).toBe('SHA-256');
    expect(v.policy).toBe(DEV_TSA_POLICY_OID);
    expect(v.tsaCertificateDer).toEqual(fx.tsa.certificateDer);
    expect(v.serialNumber).toMatch(/^[0-9a-f]+$/);
    expect(v.genTime.getTime()).toBeGreaterThanOrEqual(before);
    expect(v.genTime.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test('serial numbers differ between tokens', async () => {
    const a = await verifyTimeStampToken(await tsa.stamp(sha256('a')), { trustAnchors: [fx.caDer] });
    const b = await verifyTimeStampToken(await tsa.stamp(sha256('a')), { trustAnchors: [fx.caDer] });
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });

  test('rejects a wrong imprint', async () => {
    const token = await tsa.stamp(sha256('one'));
    expect(await failureOf(verifyTimeStampToken(token, { expectedImprint: sha256('two'), trustAnchors: [fx.caDer] }))).toBe('imprint-mismatch');
  });

  test('rejects a flipped byte anywhere in the signed parts', async () => {
    const digest = sha256('flip');
    const token = await tsa.stamp(digest);
    // The imprint bytes sit inside the TSTInfo: changing one breaks the messageDigest binding.
    const imprintAt = token.indexOf(digest);
    expect(imprintAt).toBeGreaterThan(0);
    const inTstInfo = Buffer.from(token);
    inTstInfo[imprintAt + 5] ^= 0x01;
    expect(await failureOf(verifyTimeStampToken(inTstInfo, { trustAnchors: [fx.caDer] }))).toBe('bad-signature');

    // The last byte is in the signature value.
    const inSignature = Buffer.from(token);
    inSignature[inSignature.length - 1] ^= 0x01;
    const f = await failureOf(verifyTimeStampToken(inSignature, { expectedImprint: digest, trustAnchors: [fx.caDer] }));
    expect(['bad-signature', 'malformed']).toContain(f);

    // Flips at sampled positions: always a typed outcome; inside the TSTInfo, the signed
    // attributes or the signature value always a rejection. (CMS leaves a few fields unsigned,
    // e.g. the digestAlgorithms SET: a flip there may still verify.)
    const signed = parseSignedData(token);
    const si = signed.signerInfos[0];
    const attrs = Buffer.from(si.signedAttrsDer!);
    attrs[0] = 0xa0;
    const regions = [signed.eContent!, attrs, si.signature].map((r) => ({ at: token.indexOf(r), len: r.length }));
    for (const r of regions) expect(r.at).toBeGreaterThan(0);
    const mustFail = (pos: number) => regions.some((r) => pos >= r.at && pos < r.at + r.len);
    for (let n = 0; n < 240; n++) {
      const pos = Math.floor(Math.random() * token.length);
      const t = Buffer.from(token);
      t[pos] ^= 1 << Math.floor(Math.random() * 8);
      const outcome = await verifyTimeStampToken(t, { expectedImprint: digest, trustAnchors: [fx.caDer] }).then(
        () => 'verified',
        (e: unknown) => (e instanceof TimeStampVerificationError ? 'rejected' : `untyped ${(e as Error).stack}`),
      );
      expect(outcome).not.toMatch(/^untyped/);
      if (mustFail(pos)) expect(`${pos}: ${outcome}`).toBe(`${pos}: rejected`);
    }
  });

  test('rejects a token whose TSA is under an untrusted CA', async () => {
    const other = await devPkiFixture();
    try {
      const token = await new BuiltInTsa(other.tsa).stamp(sha256('x'));
      expect(await failureOf(verifyTimeStampToken(token, { trustAnchors: [fx.caDer] }))).toBe('untrusted');
      // ...and accepts it once that CA is trusted.
      await expect(verifyTimeStampToken(token, { trustAnchors: [fx.caDer, other.caDer] })).resolves.toBeDefined();
    } finally {
      other.cleanup();
    }
  });

  test('rejects a TSA certificate whose timeStamping EKU is not critical, or absent', async () => {
    const nonCritical = await tsaIdentity(fx, { eku: { oids: [OID.timeStamping], critical: false } });
    const t1 = await new BuiltInTsa(nonCritical).stamp(sha256('x'));
    expect(await failureOf(verifyTimeStampToken(t1, { trustAnchors: [fx.caDer] }))).toBe('wrong-usage');

    const emailOnly = await tsaIdentity(fx, { eku: { oids: [OID.emailProtection], critical: true } });
    const t2 = await new BuiltInTsa(emailOnly).stamp(sha256('x'));
    expect(await failureOf(verifyTimeStampToken(t2, { trustAnchors: [fx.caDer] }))).toBe('wrong-usage');

    const good = await tsaIdentity(fx);
    await expect(verifyTimeStampToken(await new BuiltInTsa(good).stamp(sha256('x')), { trustAnchors: [fx.caDer] })).resolves.toBeDefined();
  });

  test('validates the TSA chain at genTime', async () => {
    const cert = parseCertificate(fx.tsa.certificateDer);
    const afterExpiry = new BuiltInTsa(fx.tsa, { now: () => new Date(cert.notAfter.getTime() + 86400_000) });
    expect(await failureOf(verifyTimeStampToken(await afterExpiry.stamp(sha256('x')), { trustAnchors: [fx.caDer] }))).toBe('expired');
    const beforeStart = new BuiltInTsa(fx.tsa, { now: () => new Date(cert.notBefore.getTime() - 86400_000) });
    expect(await failureOf(verifyTimeStampToken(await beforeStart.stamp(sha256('x')), { trustAnchors: [fx.caDer] }))).toBe('not-yet-valid');
    // A token made while the certificate was valid stays valid (it is checked at genTime, not now).
    const inside = new BuiltInTsa(fx.tsa, { now: () => new Date(cert.notBefore.getTime() + 1000) });
    await expect(verifyTimeStampToken(await inside.stamp(sha256('x')), { trustAnchors: [fx.caDer] })).resolves.toBeDefined();
  });

  test('rejects garbage and non-token CMS', async () => {
    expect(await failureOf(verifyTimeStampToken(randomBytes(300), { trustAnchors: [fx.caDer] }))).toBe('malformed');
    expect(await failureOf(verifyTimeStampToken(Buffer.alloc(0), { trustAnchors: [fx.caDer] }))).toBe('malformed');
    expect(await failureOf(verifyTimeStampToken(fx.caDer, { trustAnchors: [fx.caDer] }))).toBe('malformed');
  });
});
