/**
 * Third-party artefacts: the signed REM messages of ETSI EN 319 532-4 (CAdES-B, made by
 * another implementation) must verify with our S/MIME verifier, and fail when touched.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { verifySmimeMessage } from '../../src/pki/smime-verify';
import { parseCertificate, pemToDerList } from '../../src/pki/certs';
import { SignatureVerificationError } from '../../src/pki/errors';
import { bufferSource, fileSource } from '../../src/mime/sources';
import { devPkiFixture } from '../support/pki';

const DIR = resolve(__dirname, '../../spec/testvectors/en319532-4-v1.2.1');
const cert = (f: string) => pemToDerList(readFileSync(join(DIR, f), 'utf8'))[0];
const messages = readdirSync(DIR).filter((f) => /_REM_.*\.eml$/.test(f));

describe('EN 319 532-4 signed REM messages', () => {
  const root = cert('REM-ROOT-CA.crt');
  const intermediate = cert('REM-INTERMEDIATE-CA.crt');
  const at = new Date('2024-01-01T00:00:00Z');

  test('there are five of them', () => expect(messages).toHaveLength(5));

  test.each(messages)('%s verifies (root trusted, intermediate given)', async (name) => {
    const v = await verifySmimeMessage(fileSource(join(DIR, name)), { trustAnchors: [root], intermediates: [intermediate], at });
    expect(v.format).toBe('multipart-signed');
    expect(parseCertificate(v.signerCertificateDer).commonName).toMatch(/^(SA|RB)-REMS provider$/);
    expect(v.chainDer).toEqual([intermediate, root]);
  });

  test.each(messages)('%s fails when one signed byte changes, or the root is not trusted', async (name) => {
    const bytes = readFileSync(join(DIR, name));
    const v = await verifySmimeMessage(bufferSource(bytes), { trustAnchors: [root], intermediates: [intermediate], at });
    const range = v.signedEntity as { start: number; end: number };
    const tampered = Buffer.from(bytes);
    tampered[range.start + Math.floor((range.end - range.start) / 2)] ^= 0x20;
    await expect(verifySmimeMessage(bufferSource(tampered), { trustAnchors: [root], intermediates: [intermediate], at })).rejects.toMatchObject({ failure: 'bad-signature' });
    const fx = await devPkiFixture();
    try {
      const err = await verifySmimeMessage(bufferSource(bytes), { trustAnchors: [fx.caDer], intermediates: [intermediate], at }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SignatureVerificationError);
      expect((err as SignatureVerificationError).failure).toBe('untrusted');
    } finally {
      fx.cleanup();
    }
  });
});
