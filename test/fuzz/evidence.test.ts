/**
 * Hostile evidence XML: byte mutations and structural edits of a signed evidence, random
 * bytes, and classic XML attacks (entity expansion, deep nesting, processing instructions).
 * parseEvidenceXml gives the record or a typed EvidenceParseError; verifyEvidence never throws,
 * never reports an unexpected failure, and calls valid only what means the same as the signed original.
 */
import fc from 'fast-check';
import { parseEvidenceXml } from '../../src/evidence';
import { EvidenceParseError } from '../../src/evidence/errors';
import { verifyEvidence } from '../../src/evidence/verify';
import { EvidenceSigner } from '../../src/evidence/xades-sign';
import { fullEvidence } from '../support/evidence-fixtures';
import { createEvidencePki, type EvidencePki } from '../support/evidence-pki';
import { fuzzParams, hostileBytes, typedOutcome } from '../support/fuzz';

let pki: EvidencePki;
let signed: Buffer;

beforeAll(async () => {
  pki = await createEvidencePki();
  signed = await new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa }).sign(fullEvidence({ eventTime: new Date() }));
});
afterAll(() => pki?.cleanup());

/** Structural edits on the text: drop, duplicate or empty one element, or rewrite one text node. */
const structural = fc
  .record({ which: fc.nat(), action: fc.constantFrom('drop', 'duplicate', 'empty', 'text'), text: fc.string({ maxLength: 40 }) })
  .map(({ which, action, text }) => {
    const xml = signed.toString('utf8');
    const elements = [...xml.matchAll(/<([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)\b[^>]*>[^<]*<\/\1?\2>/g)];
    const m = elements[which % elements.length]!;
    const [whole] = m;
    const start = m.index!;
    const open = whole.slice(0, whole.indexOf('>') + 1);
    const close = whole.slice(whole.lastIndexOf('</'));
    const replacement =
      action === 'drop' ? '' : action === 'duplicate' ? whole + whole : action === 'empty' ? open + close : open + text.replace(/[<&]/g, '') + close;
    return Buffer.from(xml.slice(0, start) + replacement + xml.slice(start + whole.length), 'utf8');
  });

const attacks = [
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><r>&lol2;</r>',
  '<?xml version="1.0" encoding="UTF-16"?><r/>',
  `<r>${'<a>'.repeat(20000)}${'</a>'.repeat(20000)}</r>`,
  '<?xml version="1.0"?><?evil data?><r/>',
  '<r xmlns="http://uri.etsi.org/02640/v2#"><![CDATA[x]]></r>',
  `<r a="${'x'.repeat(100000)}"/>`,
  '<rem:SubmissionAcceptanceRejection xmlns:rem="http://uri.etsi.org/02640/v2#" version="2"><rem:EventCode>x</rem:EventCode></rem:SubmissionAcceptanceRejection>',
].map((s) => Buffer.from(s, 'utf8'));

test('sanity: the unmutated evidence verifies', async () => {
  const r = await verifyEvidence(signed, { trustAnchors: [pki.caDer] });
  expect(r.problems).toEqual([]);
  expect(r.valid).toBe(true);
});

test('parseEvidenceXml: the record or a typed EvidenceParseError, for any input', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(hostileBytes([signed, ...attacks], 2048), structural), async (xml) => {
      const r = await typedOutcome(() => parseEvidenceXml(xml));
      if (r instanceof Error) expect(r).toBeInstanceOf(EvidenceParseError);
      else expect(typeof r.identifier).toBe('string');
    }),
    fuzzParams(300),
  );
});

test('verifyEvidence: never throws, never fails unexpectedly, and is valid only for what means the signed evidence', async () => {
  const original = parseEvidenceXml(signed);
  await fc.assert(
    fc.asyncProperty(fc.oneof(hostileBytes([signed, ...attacks], 2048), structural), async (xml) => {
      const r = await verifyEvidence(xml, { trustAnchors: [pki.caDer] });
      expect(typeof r.valid).toBe('boolean');
      // The catch-all of verifyEvidence reports "verification failed: ..." — an untyped error that escaped.
      expect(r.problems.filter((p) => p.startsWith('verification failed:'))).toEqual([]);
      if (r.valid) expect(parseEvidenceXml(xml)).toEqual(original);
      else expect(r.problems.length).toBeGreaterThan(0);
    }),
    fuzzParams(150),
  );
});
