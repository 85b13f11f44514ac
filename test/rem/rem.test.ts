/**
 * REM dispatches and receipts built by kepd: verified by stock `openssl smime`, parsed back
 * byte-exactly, the original carried unchanged, the MIME shape of kep-rem.md §10.6.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { EvidenceSigner } from '../../src/evidence';
import type { EvidenceData } from '../../src/evidence/model';
import { ReasonCode } from '../../src/evidence/reasons';
import { bufferSource, hashRange } from '../../src/mime';
import { signDetachedCades } from '../../src/pki/cms-sign';
import { verifyDetachedCms } from '../../src/pki/cms-verify';
import { BuiltInTsa } from '../../src/timestamp';
import { signDispatch } from '../../src/rem/dispatch';
import { parseRemMessage } from '../../src/rem/parse';
import { buildReceipt } from '../../src/rem/receipt';
import type { RemSigner } from '../../src/rem/signed';
import { devPkiFixture, openssl, type DevPkiFixture } from '../support/pki';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let pki: DevPkiFixture;
let signer: RemSigner;
let evidenceSigner: EvidenceSigner;

beforeAll(async () => {
  pki = await devPkiFixture();
  const tsa = new BuiltInTsa(pki.tsa);
  signer = { signDigest: (d) => signDetachedCades({ contentDigest: d, identity: pki.provider, timeStamper: tsa }) };
  evidenceSigner = new EvidenceSigner({ identity: pki.provider, timeStamper: tsa });
});
afterAll(() => pki.cleanup());

function evidence(over: Partial<EvidenceData> = {}): EvidenceData {
  return {
    id: 'ev-01TEST',
    identifier: 'ev-01TEST@kep.test',
    type: 'SubmissionAcceptanceRejection',
    event: 'Acceptance',
    issuer: { name: 'Test KEP A.Ş.', address: 'kep@kep.test' },
    eventTime: new Date(),
    sender: { address: 'ali.veli@kep.test' },
    recipients: [{ address: 'ayse.kaya@kep.test' }],
    message: { subject: 'Ihtarname – ödeme', providerMessageId: '<K01TEST@kep.test>', uaMessageId: '<ua@x>', digestSha256: createHash('sha256').update('x').digest() },
    ...over,
  };
}

async function smimeVerify(eml: Buffer): Promise<string> {
  const file = join(pki.dir, `m-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, eml);
  const r = await openssl(['smime', '-verify', '-in', file, '-CAfile', pki.pki.paths.ca, '-out', '/dev/null']);
  return r.stdout + r.stderr;
}

test('a receipt: stock openssl verifies it; it parses back with its one evidence exactly as issued', async () => {
  const data = evidence({ event: 'Rejection', reasons: [{ code: ReasonCode.PolicyViolation, details: 'too big' }] });
  const xml = await evidenceSigner.sign(data);
  const eml = await buildReceipt({ evidence: data, xml, providerName: 'Test KEP A.Ş.', serviceAddress: 'kep@kep.test', to: 'ali.veli@kep.test', date: new Date() }, signer);
  expect(await smimeVerify(eml)).toContain('Verification successful');
  expect(eml.includes('\n') && !/[^\r]\n/.test(eml.toString('latin1'))).toBe(true);
  const head = eml.subarray(0, eml.indexOf('\r\n\r\n')).toString();
  expect(head).toMatch(/^X-REM-Evidence-Type: SubmissionAcceptanceRejection$/m);
  expect(head).toMatch(/^X-REM-Event: Rejection$/m);
  expect(head).toMatch(/^X-REM-Event-Reason: PolicyViolation \(5\)$/m);
  expect(head).toMatch(/^Subject: KEP Delili \(Ret\): Ihtarname =\?UTF-8\?Q\?/m);
  const parsed = await parseRemMessage(bufferSource(eml));
  expect(parsed.evidences).toHaveLength(1);
  expect(parsed.evidences[0]!.filename).toBe('SubmissionAcceptanceRejection.xml');
  expect(parsed.evidences[0]!.xml.equals(xml)).toBe(true);
  expect(parsed.original).toBeUndefined();
  const src = bufferSource(eml);
  const cms = await verifyDetachedCms({ signatureDer: parsed.signatureDer, contentDigests: (alg) => hashRange(src, alg === 'SHA-256' ? 'sha256' : 'sha512', parsed.signed), trustAnchors: [pki.caDer], at: new Date(), timeStampTrustAnchors: [pki.caDer] });
  expect(cms.signatureTimeStamp).toBeDefined();
});

test('a dispatch is signed bytes around the original, unchanged, and openssl verifies the whole', async () => {
  // An original with 8-bit text, long lines and a boundary-like line of its own.
  const original = Buffer.from(
    'From: ali.veli@kep.test\r\nTo: ayse.kaya@kep.test\r\nSubject: =?UTF-8?Q?=C3=B6deme?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n' +
      'Ödeme talebi.\r\n--not-our-boundary\r\n' + 'x'.repeat(900) + '\r\n',
    'utf8',
  );
  const data = evidence();
  const xml = await evidenceSigner.sign(data);
  const envelope = await signDispatch(
    {
      sender: 'ali.veli@kep.test',
      subject: 'ödeme',
      to: 'ayse.kaya@kep.test',
      iletiTip: 'eTebligat',
      iletiId: 'T-1',
      submittedAt: new Date(),
      original: { size: original.length, createReadStream: () => Readable.from([original.subarray(0, 7), original.subarray(7)]) },
      acceptance: { evidence: data, xml },
      providerName: 'Test KEP A.Ş.',
      serviceAddress: 'kep@kep.test',
      date: new Date(),
    },
    signer,
  );
  const eml = Buffer.concat([envelope.before, original, envelope.after]);
  expect(await smimeVerify(eml)).toContain('Verification successful');
  const parsed = await parseRemMessage(bufferSource(eml));
  expect(parsed.original).toBeDefined();
  expect(eml.subarray(parsed.original!.start, parsed.original!.end).equals(original)).toBe(true);
  expect(parsed.evidences.map((e) => e.filename)).toEqual(['SubmissionAcceptanceRejection.xml']);
  const inner = eml.subarray(parsed.signed.start, parsed.signed.end).toString('latin1');
  expect(inner.indexOf('multipart/alternative')).toBeLessThan(inner.indexOf('message/rfc822'));
  expect(inner.indexOf('message/rfc822')).toBeLessThan(inner.indexOf('application/xml'));
  expect(inner).toContain('Content-Transfer-Encoding: binary');
  const head = eml.subarray(0, eml.indexOf('\r\n\r\n')).toString();
  expect(head).toMatch(/^X-REM-Msg-Type: Dispatch$/m);
  expect(head).toMatch(/^X-TR-REM-iletiTip: eTebligat$/m);
  expect(head).toMatch(/^Message-ID: <K01TEST@kep.test>$/m);
});

test('header values cannot inject lines', async () => {
  const data = evidence({ message: { subject: 'a\r\nBcc: victim@x', providerMessageId: '<K01TEST@kep.test>' } });
  const xml = await evidenceSigner.sign(data);
  const eml = await buildReceipt({ evidence: data, xml, providerName: 'P', serviceAddress: 'kep@kep.test', to: 'ali.veli@kep.test', date: new Date() }, signer);
  expect(eml.subarray(0, eml.indexOf('\r\n\r\n')).toString()).not.toMatch(/^Bcc:/m);
});
