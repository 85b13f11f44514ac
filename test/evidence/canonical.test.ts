/**
 * The signer digests its rendered strings directly; these tests hold those strings equal to
 * what xml-crypto's exclusive c14n makes of the parsed document (the verifier's view).
 */
import { canonicalize } from '../../src/evidence/c14n';
import { childNS, parseXmlSafely } from '../../src/evidence/dom';
import type { EvidenceData } from '../../src/evidence/model';
import { ALG_EXC_C14N, NS_DS, NS_XADES } from '../../src/evidence/namespaces';
import { ReasonCode } from '../../src/evidence/reasons';
import { renderEvidenceElement, renderEvidenceXml } from '../../src/evidence/render';
import { verifyEvidence } from '../../src/evidence/verify';
import { EvidenceSigner } from '../../src/evidence/xades-sign';
import { COMBOS, comboEvidence, fullEvidence, tempDir, tool } from '../support/evidence-fixtures';
import { createEvidencePki, type EvidencePki } from '../support/evidence-pki';

/** Deterministic generator so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TRICKY = ['&', '<', '>', '"', "'", '\r', '\n', '\t', ' ', '\r\n', ']]>', '&amp;', 'İ', 'ş', 'ğ', '€', '😀', '\u0000', '\u001b', '\uD800', '\uFFFE', '\u0085', '\u2028', 'a', 'Z', '0', '=', '#'];

function randomText(next: () => number, max = 24): string {
  let s = '';
  const n = Math.floor(next() * max);
  for (let i = 0; i < n; i++) s += TRICKY[Math.floor(next() * TRICKY.length)];
  return s;
}

function randomEvidence(seed: number): EvidenceData {
  const next = rng(seed);
  const data = fullEvidence({ id: `ev-r${seed}`, identifier: `ev-r${seed}@kep.example` });
  data.message!.subject = randomText(next);
  data.message!.uaMessageId = randomText(next);
  data.sender.name = 'S' + randomText(next);
  data.issuer.name = 'I' + randomText(next);
  data.recipients[1]!.name = 'R' + randomText(next);
  data.replyTo = 'x' + randomText(next, 6);
  data.extension = { iletiTip: 'standart', iletiId: randomText(next), operator: randomText(next) };
  data.reasons = [{ code: ReasonCode.Other, details: randomText(next) }];
  return data;
}

describe('canonical form of what the signer digests', () => {
  test.each(COMBOS.map((c, i) => [`${c.type}/${c.event}`, i] as const))('%s: the rendered root is its own exclusive c14n', (_n, i) => {
    const root = renderEvidenceElement(comboEvidence(COMBOS[i]!, i));
    expect(canonicalize(parseXmlSafely(root).documentElement!, ALG_EXC_C14N)).toBe(root);
  });

  test('300 records with hostile free text: rendered root equals its exclusive c14n', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const root = renderEvidenceElement(randomEvidence(seed));
      const c14n = canonicalize(parseXmlSafely(root).documentElement!, ALG_EXC_C14N);
      if (c14n !== root) throw new Error(`seed ${seed}: rendered root differs from its c14n`);
    }
  });

  describe('signed', () => {
    let pki: EvidencePki;
    const tmp = tempDir();
    beforeAll(async () => {
      pki = await createEvidencePki();
    });
    afterAll(() => {
      pki?.cleanup();
      tmp.cleanup();
    });

    test('SignedInfo, SignedProperties and SignatureValue appear in the document in canonical form', async () => {
      const xml = (await new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa }).sign(fullEvidence())).toString('utf8');
      const doc = parseXmlSafely(xml);
      const sig = childNS(doc.documentElement!, NS_DS, 'Signature')!;
      const qp = childNS(childNS(sig, NS_DS, 'Object')!, NS_XADES, 'QualifyingProperties')!;
      for (const el of [childNS(sig, NS_DS, 'SignedInfo')!, childNS(sig, NS_DS, 'SignatureValue')!, childNS(qp, NS_XADES, 'SignedProperties')!]) {
        const c14n = canonicalize(el, ALG_EXC_C14N);
        expect(xml).toContain(c14n);
      }
    });

    test('40 signed records with hostile free text verify (xml-crypto c14n), 3 of them also with xmlsec1', async () => {
      const signer = new EvidenceSigner({ identity: pki.provider, timeStamper: pki.tsa });
      for (let seed = 1000; seed < 1040; seed++) {
        const xml = await signer.sign(randomEvidence(seed));
        const r = await verifyEvidence(xml, { trustAnchors: [pki.caDer] });
        if (!r.checks.references || !r.checks.signatureValue) throw new Error(`seed ${seed}: ${r.problems.join('; ')}`);
        if (seed < 1003) {
          const v = await tool('xmlsec1', ['--verify', '--trusted-pem', pki.caPem, tmp.file(`r${seed}.xml`, xml)]);
          expect(v.stdout + v.stderr).toContain('SignedInfo References (ok/all): 2/2');
        }
      }
    });
  });

  test('rendered documents parse back to the same free text after XML 1.0 cleaning', () => {
    const data = randomEvidence(7);
    const xml = renderEvidenceXml(data);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});
