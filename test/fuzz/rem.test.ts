/**
 * Hostile REM messages (mutated dispatches and receipts, random bytes) through parseRemMessage:
 * a parse whose ranges lie inside the input, or a typed MimeFormatError.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { EvidenceSigner, type EvidenceData } from '../../src/evidence';
import { bufferSource } from '../../src/mime';
import { MimeFormatError } from '../../src/mime/errors';
import { signDetachedCades } from '../../src/pki/cms-sign';
import { signDispatch } from '../../src/rem/dispatch';
import { parseRemMessage } from '../../src/rem/parse';
import { buildReceipt } from '../../src/rem/receipt';
import type { RemSigner } from '../../src/rem/signed';
import { BuiltInTsa } from '../../src/timestamp';
import { fuzzParams, hostileBytes, typedOutcome } from '../support/fuzz';
import { devPkiFixture, type DevPkiFixture } from '../support/pki';

let pki: DevPkiFixture;
let dispatch: Buffer;
let receipt: Buffer;

beforeAll(async () => {
  pki = await devPkiFixture();
  const tsa = new BuiltInTsa(pki.tsa);
  const signer: RemSigner = { signDigest: (d) => signDetachedCades({ contentDigest: d, identity: pki.provider, timeStamper: tsa }) };
  const data: EvidenceData = {
    id: 'ev-01FUZZ',
    identifier: 'ev-01FUZZ@kep.test',
    type: 'SubmissionAcceptanceRejection',
    event: 'Acceptance',
    issuer: { name: 'Test KEP', address: 'kep@kep.test' },
    eventTime: new Date(),
    sender: { address: 'ali.veli@kep.test' },
    recipients: [{ address: 'ayse.kaya@kep.test' }],
    message: { subject: 'fuzz', providerMessageId: '<K01FUZZ@kep.test>', digestSha256: createHash('sha256').update('x').digest() },
  };
  const xml = await new EvidenceSigner({ identity: pki.provider, timeStamper: tsa }).sign(data);
  const original = Buffer.from('From: ali.veli@kep.test\r\nSubject: fuzz\r\nContent-Type: text/plain\r\n\r\nhello\r\n');
  const envelope = await signDispatch(
    {
      sender: 'ali.veli@kep.test',
      subject: 'fuzz',
      to: 'ayse.kaya@kep.test',
      iletiTip: 'standart',
      submittedAt: new Date(),
      original: { size: original.length, createReadStream: () => Readable.from([original]) },
      acceptance: { evidence: data, xml },
      providerName: 'Test KEP',
      serviceAddress: 'kep@kep.test',
      date: new Date(),
    },
    signer,
  );
  dispatch = Buffer.concat([envelope.before, original, envelope.after]);
  receipt = await buildReceipt({ evidence: data, xml, providerName: 'Test KEP', serviceAddress: 'kep@kep.test', to: 'ali.veli@kep.test', date: new Date() }, signer);
});
afterAll(() => pki?.cleanup());

test('parseRemMessage on mutated dispatches and receipts: ranges inside the input, or a typed MimeFormatError', async () => {
  expect((await parseRemMessage(bufferSource(dispatch))).original).toBeDefined();
  await fc.assert(
    fc.asyncProperty(hostileBytes([dispatch, receipt], 4096), async (bytes) => {
      const r = await typedOutcome(() => parseRemMessage(bufferSource(bytes)));
      if (r instanceof Error) return expect(r).toBeInstanceOf(MimeFormatError);
      for (const range of [r.signed, ...(r.original ? [r.original] : [])]) {
        expect(range.start).toBeGreaterThanOrEqual(0);
        expect(range.end).toBeLessThanOrEqual(bytes.length);
        expect(range.end).toBeGreaterThanOrEqual(range.start);
      }
    }),
    fuzzParams(300),
  );
});
