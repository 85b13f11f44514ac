import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { renderEvidenceXml } from '../../src/evidence/render';
import { verifyEvidence, type EvidenceVerification } from '../../src/evidence/verify';
import { EvidenceSigner } from '../../src/evidence/xades-sign';
import { pemToDerList } from '../../src/pki/pem';
import { TESTVECTORS, fullEvidence, tempDir, tool } from '../support/evidence-fixtures';
import { createEvidencePki, type EvidencePki } from '../support/evidence-pki';

const ORIGINAL = Buffer.from('From: ali.veli@kep.example\r\nSubject: Ihtarname\r\n\r\nbody\r\n');

function expectInvalid(r: EvidenceVerification, check: keyof EvidenceVerification['checks'], problem: RegExp): void {
  expect(r.valid).toBe(false);
  expect(r.checks[check]).toBe(false);
  expect(r.problems.join('\n')).toMatch(problem);
}

describe('verifyEvidence', () => {
  let pki: EvidencePki;
  let other: EvidencePki;
  let signer: EvidenceSigner;
  let signed: Buffer;
  let text: string;
  let signedAt: { before: number; after: number };
  const tmp = tempDir();

  beforeAll(async () => {
    [pki, other] = await Promise.all([createEvidencePki(), createEvidencePki('Other KEPHS')]);
    signer = new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa });
    const before = Date.now();
    signed = await signer.sign(fullEvidence({ eventTime: new Date() }));
    signedAt = { before, after: Date.now() };
    text = signed.toString('utf8');
  });
  afterAll(() => {
    pki?.cleanup();
    other?.cleanup();
    tmp.cleanup();
  });

  const verify = (xml: Buffer | string, extra: Partial<Parameters<typeof verifyEvidence>[1]> = {}) =>
    verifyEvidence(Buffer.isBuffer(xml) ? xml : Buffer.from(xml, 'utf8'), { trustAnchors: [pki.caDer], ...extra });

  test('a signed evidence is valid, with its record, signer and time-stamp time', async () => {
    const r = await verify(signed, { original: ORIGINAL });
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.checks).toEqual({
      schemaShape: true,
      references: true,
      signatureValue: true,
      signingCertificate: true,
      chain: true,
      timeStamp: true,
      digest: true,
    });
    const { eventTime, ...rest } = fullEvidence();
    expect(r.evidence).toMatchObject(rest);
    expect(r.evidence!.eventTime).toBeInstanceOf(Date);
    expect(r.signerCertificateDer!.equals(pki.provider.certificateDer)).toBe(true);
    // The built-in TSA reports whole seconds with ±1 s accuracy.
    const genTime = r.timeStamp!.genTime.getTime();
    expect(genTime).toBeGreaterThanOrEqual(signedAt.before - 1000);
    expect(genTime).toBeLessThanOrEqual(signedAt.after + 1000);
    expect(r.warnings).toEqual([]);
  });

  test('RSA-signed and development-PKI-signed evidences are valid too', async () => {
    for (const identity of [pki.rsaProvider, pki.devProvider]) {
      const xml = await new EvidenceSigner({ identity, timeStamper: pki.tsa }).sign(fullEvidence({ eventTime: new Date() }));
      const r = await verify(xml);
      expect(r.problems).toEqual([]);
      expect(r.valid).toBe(true);
    }
  });

  test('a signer under an intermediate CA: the chain travels in KeyInfo', async () => {
    const xml = await new EvidenceSigner({ identity: pki.chainedProvider, timeStamper: pki.tsa }).sign(fullEvidence({ eventTime: new Date() }));
    expect(pki.chainedProvider.chainDer).toHaveLength(1);
    expect((xml.toString('utf8').match(/<ds:X509Certificate>/g) ?? []).length).toBe(2);
    const r = await verify(xml);
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    const stock = await tool('xmlsec1', ['--verify', '--trusted-pem', pki.caPem, tmp.file('chained.xml', xml)]);
    expect(stock.stdout + stock.stderr).toContain('SignedInfo References (ok/all): 2/2');
    expect(stock.code).toBe(0);
    // Without the intermediate in KeyInfo the path cannot be built.
    const stripped = xml.toString('utf8').replace(`<ds:X509Certificate>${pki.chainedProvider.chainDer[0]!.toString('base64')}</ds:X509Certificate>`, '');
    expectInvalid(await verify(stripped), 'chain', /trusted/);
  });

  test('without an original there is no digest check', async () => {
    const r = await verify(signed);
    expect(r.valid).toBe(true);
    expect(r.checks.digest).toBeUndefined();
  });

  test('the original can be streamed', async () => {
    const stream = Readable.from([ORIGINAL.subarray(0, 10), ORIGINAL.subarray(10)]);
    const r = await verify(signed, { original: stream });
    expect(r.checks.digest).toBe(true);
    expect(r.valid).toBe(true);
  });

  test('wrong original', async () => {
    const r = await verify(signed, { original: Buffer.concat([ORIGINAL, Buffer.from('\r\n')]) });
    expectInvalid(r, 'digest', /original message does not match/);
    expect(r.checks.references).toBe(true);
  });

  test('tampered text node', async () => {
    const r = await verify(text.replace('ayse.yilmaz@kep.example', 'ayse.yilmax@kep.example'));
    expectInvalid(r, 'references', /reference "".*digest does not match/);
    expect(r.checks.signatureValue).toBe(true);
  });

  test('tampered SignedProperties', async () => {
    const r = await verify(text.replace(/<xades:SigningTime>(\d{4})/, (_m, y) => `<xades:SigningTime>${Number(y) - 1}`));
    expectInvalid(r, 'references', /SignedProperties.*digest does not match/);
  });

  test('tampered SignatureValue', async () => {
    const sv = /<ds:SignatureValue [^>]*>([^<]+)</.exec(text)![1]!;
    const bytes = Buffer.from(sv, 'base64');
    bytes[5]! ^= 0x01;
    const r = await verify(text.replace(sv, bytes.toString('base64')));
    expectInvalid(r, 'signatureValue', /signature value does not verify/);
    // The time-stamp was over the original value, so it no longer matches either.
    expectInvalid(r, 'timeStamp', /imprint differs/);
  });

  test('swapped certificate in KeyInfo', async () => {
    const mine = pki.provider.certificateDer.toString('base64');
    const r = await verify(text.replace(mine, pki.rsaProvider.certificateDer.toString('base64')));
    expectInvalid(r, 'signingCertificate', /SigningCertificate does not match/);
    expect(r.checks.signatureValue).toBe(false);
  });

  test('swapped certificate in KeyInfo and SigningCertificate', async () => {
    const digest = (d: Buffer) => createHash('sha256').update(d).digest('base64');
    const swapped = text
      .replace(pki.provider.certificateDer.toString('base64'), pki.rsaProvider.certificateDer.toString('base64'))
      .replace(digest(pki.provider.certificateDer), digest(pki.rsaProvider.certificateDer));
    const r = await verify(swapped);
    expectInvalid(r, 'references', /SignedProperties.*digest does not match/);
    expect(r.checks.signatureValue).toBe(false);
  });

  test('time-stamp token over a different imprint', async () => {
    const foreign = await pki.tsa.stamp(createHash('sha256').update('some other signature').digest());
    const r = await verify(text.replace(/(<xades:EncapsulatedTimeStamp>)[^<]+/, `$1${foreign.toString('base64')}`));
    expectInvalid(r, 'timeStamp', /imprint differs/);
    expect(r.timeStamp).toBeUndefined();
  });

  test('time-stamp token from an untrusted TSA', async () => {
    const sv = /<ds:SignatureValue [^>]*Id="([^"]+)">([^<]+)</.exec(text)!;
    const canonical = `<ds:SignatureValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="${sv[1]}">${sv[2]}</ds:SignatureValue>`;
    const token = await other.tsa.stamp(createHash('sha256').update(canonical).digest());
    const r = await verify(text.replace(/(<xades:EncapsulatedTimeStamp>)[^<]+/, `$1${token.toString('base64')}`));
    expectInvalid(r, 'timeStamp', /SignatureTimeStamp/);
    expect(r.checks.chain).toBe(true);
  });

  test('no time-stamp at all', async () => {
    const r = await verify(text.replace(/\s*<xades:UnsignedProperties>[\s\S]*<\/xades:UnsignedProperties>/, ''));
    expectInvalid(r, 'timeStamp', /not XAdES-T/);
  });

  test('untrusted CA', async () => {
    const r = await verifyEvidence(signed, { trustAnchors: [other.caDer] });
    expectInvalid(r, 'chain', /signer certificate: .*trusted/);
    expect(r.checks.timeStamp).toBe(false);
    const tsaTrusted = await verifyEvidence(signed, { trustAnchors: [other.caDer], tsaTrustAnchors: [pki.caDer] });
    expectInvalid(tsaTrusted, 'chain', /trusted/);
    expect(tsaTrusted.checks.timeStamp).toBe(true);
  });

  test('EventTime far from the time-stamp is reported but does not invalidate', async () => {
    const xml = await signer.sign(fullEvidence({ eventTime: new Date(Date.now() - 3600_000) }));
    const r = await verify(xml);
    expect(r.valid).toBe(true);
    expect(r.warnings.join('\n')).toMatch(/EventTime .* away from the time-stamp/);
  });

  test('signature-wrapping: a second element with the SignedProperties Id', async () => {
    const sp = /<xades:SignedProperties [\s\S]*<\/xades:SignedProperties>/.exec(text)![0];
    const wrapped = text.replace('<rem:Extension isCritical="false">', `<rem:Extension isCritical="false">${sp}`);
    const r = await verify(wrapped);
    expectInvalid(r, 'references', /not unique/);
  });

  test.each([
    ['garbage', Buffer.from([0, 1, 2, 3, 0xff])],
    ['an external entity', Buffer.from('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')],
    ['an unsigned evidence', Buffer.from(renderEvidenceXml(fullEvidence()))],
    ['a foreign root', Buffer.from('<r xmlns="urn:x"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></r>')],
    ['an empty ds:Signature', Buffer.from(renderEvidenceXml(fullEvidence()).replace('</rem:Extensions>', '</rem:Extensions><ds:Signature/>'))],
  ])('hostile input (%s) is invalid with problems, never an exception', async (_n, input) => {
    const r = await verifyEvidence(input, { trustAnchors: [pki.caDer], original: ORIGINAL });
    expect(r.valid).toBe(false);
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.checks.digest === undefined || typeof r.checks.digest === 'boolean').toBe(true);
  });

  test('a signature that is not the last child, and oversized input', async () => {
    const moved = text.replace(/( {2}<ds:Signature [\s\S]*<\/ds:Signature>\n)(<\/rem:SubmissionAcceptanceRejection>)/, '$2').replace(
      '  <rem:EventCode>',
      `${/ {2}<ds:Signature [\s\S]*<\/ds:Signature>\n/.exec(text)![0]}  <rem:EventCode>`,
    );
    const r = await verify(moved);
    expectInvalid(r, 'schemaShape', /not the last child/);
    const big = await verify(signed, { maxBytes: 1000 });
    expectInvalid(big, 'schemaShape', /over the limit/);
  });

  describe('cross-check with EN 319 532-4 sample evidences (ERDS, RSA, XPath-Filter-2)', () => {
    const root = join(TESTVECTORS, 'REM-ROOT-CA.crt');
    const intermediate = join(TESTVECTORS, 'REM-INTERMEDIATE-CA.crt');
    const samples = ['S1_2a_REM_SubmissionAcceptance.RA01.eml', 'S1_4b_REM_RelayAcceptance.RB01.eml', 'S1_6e_REM_ContentConsignment.RD01.eml', 'S3_7b_REM_RelayFailure.RB02.eml'];

    async function sampleEvidence(name: string): Promise<Buffer> {
      const mail = await simpleParser(readFileSync(join(TESTVECTORS, name)));
      const att = mail.attachments.find((a) => a.headers.get('rem-section-type') === 'rem_message/xml_evidence');
      if (!att) throw new Error(`no evidence in ${name}`);
      return att.content;
    }

    test.each(samples)('%s: our reference digests and signature check agree with xmlsec1', async (name) => {
      const xml = await sampleEvidence(name);
      const stock = await tool('xmlsec1', ['--verify', '--trusted-pem', root, '--untrusted-pem', intermediate, '--id-attr:Id', 'Evidence', tmp.file(`${name}.xml`, xml)]);
      expect(stock.stdout + stock.stderr).toContain('SignedInfo References (ok/all): 2/2');
      const r = await verifyEvidence(xml, { trustAnchors: pemToDerList(readFileSync(root)), intermediates: pemToDerList(readFileSync(intermediate)) });
      expect(r.checks.references).toBe(true);
      expect(r.checks.signatureValue).toBe(true);
      expect(r.checks.signingCertificate).toBe(true);
      // Not TS 102 640-2 (ERDS namespace): the shape check must say so.
      expect(r.checks.schemaShape).toBe(false);
      expect(r.valid).toBe(false);

      const tampered = await verifyEvidence(Buffer.from(xml.toString('utf8').replace('rcp1@', 'rcpX@')), { trustAnchors: [] });
      expect(tampered.checks.references).toBe(false);
    });
  });
});
