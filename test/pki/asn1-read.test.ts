/**
 * The DER reader of asn1-read.ts against asn1js: for any input — real certificates, CMS
 * signatures and time-stamp tokens, random element trees, their mutations — parseDer gives
 * the same refusal or the same tree (tags, exact bytes, children) as asn1js alone, and the
 * fast reader really does the work for plain DER (else this would compare asn1js with itself).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Asn1FormatError, parseBer, parseDer, readPlainDer, type Asn1Node } from '../../src/pki/asn1-read';
import { parseSignedData, parseSignedDataWithAsn1js } from '../../src/pki/cms-parse';
import { signDetachedCades } from '../../src/pki/cms-sign';
import { BuiltInTsa } from '../../src/timestamp';
import { fuzzParams, hostileBytes } from '../support/fuzz';
import { devPkiFixture, type DevPkiFixture } from '../support/pki';

interface Shape {
  cls: number;
  tag: number;
  constructed: boolean;
  hex: string;
  kids?: Shape[];
}

function shape(n: Asn1Node): Shape {
  const s: Shape = { cls: n.idBlock.tagClass, tag: n.idBlock.tagNumber, constructed: n.idBlock.isConstructed, hex: Buffer.from(n.valueBeforeDecodeView).toString('hex') };
  if (n.idBlock.isConstructed) s.kids = ((n.valueBlock as { value: Asn1Node[] }).value ?? []).map(shape);
  return s;
}

function outcome(read: (b: Buffer) => Asn1Node, bytes: Buffer): Shape | { refused: string } {
  try {
    return shape(read(bytes));
  } catch (err) {
    return { refused: (err as Error).constructor.name };
  }
}

const both = (bytes: Buffer): void => {
  const fast = outcome((b) => parseDer(b, 't'), bytes);
  const full = outcome((b) => parseBer(b, 't'), bytes);
  // The messages differ (asn1js words its own); the kind of refusal and any tree must not.
  expect(fast).toEqual(full);
};

let fx: DevPkiFixture;
let samples: Buffer[];

beforeAll(async () => {
  fx = await devPkiFixture();
  const tsa = new BuiltInTsa(fx.tsa);
  const cades = await signDetachedCades({ contentDigest: createHash('sha256').update('x').digest(), identity: fx.provider, timeStamper: tsa });
  samples = [fx.caDer, fx.provider.certificateDer, fx.tsa.certificateDer, cades];
});

afterAll(() => fx?.cleanup());

test('real certificates and a CAdES-T signature (with its token) are read by the DER reader, as asn1js reads them', () => {
  for (const der of samples) {
    expect(readPlainDer(der)).toBeDefined();
    both(der);
  }
});

// Random element trees: universal tags whose contents asn1js checks, with fitting and unfitting contents.
const content = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.constantFrom('251128134500Z', '2511281345Z', '25112813450Z', '251128134500Z ', '20261128134500Z', '20261128134500.123Z', '2026112813450Z', '20261128134500+0100', '20261128134500.Z', '991332Z'),
  fc.constantFrom('2a864886f70d', '2a8648', '80', '00', '01', 'ff', '07ff', '08', '').map((h) => Buffer.from(h, 'hex')),
).map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : Buffer.from(c)));

// Mostly the universal tags asn1js checks the contents of, with fitting and unfitting contents.
const tagNumber = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 10, 12, 16, 17, 19, 20, 22, 23, 24, 26, 28, 30), fc.integer({ min: 0, max: 30 }));

const header = (id: number, length: number, form: number): Buffer => {
  if (form === 0 && length < 128) return Buffer.from([id, length]);
  if (form === 3) return Buffer.from([id, 0x80]); // indefinite, left to asn1js (and mostly refused here)
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  if (form === 2) bytes.unshift(0); // a needless leading zero
  return Buffer.from([id, 0x80 | bytes.length, ...bytes]);
};

const tree: fc.Arbitrary<Buffer> = fc.letrec<{ el: Buffer }>((tie) => ({
  el: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(tagNumber, fc.integer({ min: 0, max: 3 }), fc.boolean(), content, fc.nat(3)).map(([tag, cls, constructed, c, form]) =>
      Buffer.concat([header((cls << 6) | (constructed ? 0x20 : 0) | tag, c.length, form), c]),
    ),
    fc.tuple(
      fc.oneof(fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0x10), tagNumber.map((t) => 0x20 | t), fc.integer({ min: 0, max: 255 })),
      fc.array(tie('el'), { maxLength: 4 }),
      fc.nat(3),
    ).map(([id, kids, form]) => {
      const body = Buffer.concat(kids);
      return Buffer.concat([header(id, body.length, form), body, form === 3 ? Buffer.from([0, 0]) : Buffer.alloc(0)]);
    }),
  ),
})).el;

test('random element trees: the same tree or the same refusal as asn1js, and plain ones read without it', () => {
  let plain = 0;
  fc.assert(
    fc.property(tree, (der) => {
      if (readPlainDer(der)) plain++;
      both(der);
    }),
    fuzzParams(3000),
  );
  // The generator makes plenty of plain DER: the comparison is not asn1js against itself.
  expect(plain).toBeGreaterThan(300);
});

test('mutated certificates and signatures: the same tree or the same refusal as asn1js', () => {
  fc.assert(
    fc.property(hostileBytes(samples, 2048), (der) => both(der)),
    fuzzParams(1000),
  );
});

test('an end-of-contents pair standing as an element is refused, with any length after it (a CMS certificate whose tag is zeroed)', () => {
  expect(() => parseBer(Buffer.from('3006000002020105', 'hex'), 't')).toThrow(/end-of-contents out of place/);
  // The one that closes an indefinite length is still read (asn1js drops it).
  expect(parseBer(Buffer.from('30800201050000', 'hex'), 't').valueBlock).toMatchObject({ value: [expect.anything()] });
  // In a SignedData: asn1js took the zeroed certificate for a two-byte element and its parts
  // (the TBSCertificate, the algorithm) for certificates of their own; the DER reader refused.
  const cades = samples[3];
  const certsAt = cades.indexOf(Buffer.concat([Buffer.from([0xa0, 0x82]), cades.subarray(cades.indexOf(fx.provider.certificateDer) - 2, cades.indexOf(fx.provider.certificateDer))]));
  expect(certsAt).toBeGreaterThan(0);
  const mutated = Buffer.from(cades);
  expect(mutated[certsAt + 4]).toBe(0x30);
  mutated[certsAt + 4] = 0;
  expect(() => parseSignedData(mutated)).toThrow(Asn1FormatError);
  expect(() => parseSignedDataWithAsn1js(mutated)).toThrow(Asn1FormatError);
  expect(parseSignedData(cades).certificates.length).toBeGreaterThan(0);
});
