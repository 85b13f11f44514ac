/**
 * Hostile input to the MIME layer: random and mutated MIME (deep nesting included) through
 * parseHeaderBlock, parseContentType, decodeHeaderValue, scanEntity, the submission's shape
 * meter and IMAP's structure scanner. Nothing may throw anything but a typed error, results
 * must describe the input consistently, and depth stays bounded whatever the input.
 */
import fc from 'fast-check';
import { decodeHeaderValue, parseContentType, parseHeaderBlock, scanEntity, bufferSource, MimeShapeMeter } from '../../src/mime';
import { MimeFormatError } from '../../src/mime/errors';
import { MAX_SCAN_DEPTH, MimeScanner, type ScannedPart } from '../../src/imap/mime/scanner';
import { buildStructure, classifyHeader } from '../../src/imap/mime/structure';
import { encodeTree } from '../../src/imap/mime/json-codec';
import { deeplyNested, fuzzParams, hostileBytes, mimeTree, renderMime, typedOutcome, type MimeTree } from '../support/fuzz';

/** Trees with unique boundaries, so their structure is unambiguous. */
function uniqueBoundaries(tree: MimeTree, next = { n: 0 }): MimeTree {
  if (tree.kind === 'leaf') return tree;
  if (tree.kind === 'message') return { kind: 'message', inner: uniqueBoundaries(tree.inner, next) };
  return { ...tree, boundary: `kb${next.n++}x`, children: tree.children.map((c) => uniqueBoundaries(c, next)) };
}

function depthOf(t: MimeTree): number {
  if (t.kind === 'leaf') return 1;
  if (t.kind === 'message') return 1 + depthOf(t.inner);
  return 1 + Math.max(0, ...t.children.map(depthOf));
}

function partsOf(t: MimeTree): number {
  if (t.kind === 'leaf') return 1;
  if (t.kind === 'message') return 1 + partsOf(t.inner);
  return 1 + t.children.reduce((n, c) => n + partsOf(c), 0);
}

function scannedDepth(p: ScannedPart): number {
  const below = [...p.parts, ...(p.message ? [p.message] : [])].map(scannedDepth);
  return 1 + Math.max(0, ...below);
}

function scannedParts(p: ScannedPart): number {
  return 1 + p.parts.reduce((n, c) => n + scannedParts(c), 0) + (p.message ? scannedParts(p.message) : 0);
}

/** Feeds `buf` in chunks of the given sizes (cycled). */
function chunks(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] ?? 1);
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

const rendered = fc.tuple(mimeTree, fc.boolean()).map(([t]) => Buffer.from(renderMime(t)));
const samples = [
  Buffer.from(renderMime({ kind: 'multipart', subtype: 'signed', boundary: 'sig', preamble: '', epilogue: '', children: [{ kind: 'leaf', type: 'text/plain', body: 'hi' }, { kind: 'leaf', type: 'application/pkcs7-signature', body: 'MIIB', cte: 'base64' }] })),
  deeplyNested(12),
  Buffer.from('Content-Type: multipart/mixed; boundary*0="a"; boundary*1="b"\r\n\r\n--ab\r\n\r\nx\r\n--ab--\r\n'),
];
const hostile = fc.oneof(hostileBytes(samples), rendered.chain((b) => fc.oneof(fc.constant(b), hostileBytes([b]))));

test('parseHeaderBlock, parseContentType and decodeHeaderValue never throw, on any bytes', () => {
  fc.assert(
    fc.property(hostile, fc.string({ maxLength: 300 }), (bytes, value) => {
      for (const f of parseHeaderBlock(bytes)) {
        expect(f.key).toBe(f.name.toLowerCase());
        expect(f.key.length).toBeGreaterThan(0);
      }
      for (const v of [value, bytes.toString('latin1').slice(0, 400)]) {
        const ct = parseContentType(v);
        expect(ct.mime).toBe(`${ct.type}/${ct.subtype}`);
        expect(typeof decodeHeaderValue(v)).toBe('string');
      }
    }),
    fuzzParams(300),
  );
});

test('scanEntity on random and mutated MIME: a typed MimeFormatError or part ranges inside the body, in order', async () => {
  await fc.assert(
    fc.asyncProperty(hostile, async (bytes) => {
      const r = await typedOutcome(() => scanEntity(bufferSource(bytes)));
      if (r instanceof Error) return expect(r).toBeInstanceOf(MimeFormatError);
      expect(r.headerEnd).toBeGreaterThanOrEqual(0);
      expect(r.headerEnd).toBeLessThanOrEqual(bytes.length);
      let last = r.headerEnd;
      for (const p of r.parts ?? []) {
        expect(p.start).toBeGreaterThanOrEqual(last);
        expect(p.end).toBeGreaterThanOrEqual(p.start);
        expect(p.end).toBeLessThanOrEqual(bytes.length);
        last = p.end;
      }
    }),
    fuzzParams(300),
  );
});

test('the shape meter agrees with the structure of generated MIME, whatever the chunking', () => {
  fc.assert(
    fc.property(mimeTree, fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), (t, sizes) => {
      const tree = uniqueBoundaries(t);
      const bytes = Buffer.from(renderMime(tree));
      const whole = new MimeShapeMeter({ maxDepth: 100 });
      whole.push(bytes);
      const split = new MimeShapeMeter({ maxDepth: 100 });
      for (const c of chunks(bytes, sizes)) split.push(c);
      const a = whole.result();
      expect(split.result()).toEqual(a);
      expect(a.depth).toBe(depthOf(tree));
      expect(a.parts).toBe(partsOf(tree));
      expect(a.headerComplete).toBe(true);
      expect(a.headerBytes).toBe(bytes.indexOf('\r\n\r\n') + 4);
      const longest = Math.max(...bytes.toString('latin1').split('\r\n').map((l) => l.length));
      expect(a.longestLine).toBe(longest);
      // IMAP's scanner sees the same structure.
      const scanner = new MimeScanner(classifyHeader);
      for (const c of chunks(bytes, sizes)) scanner.push(c);
      const root = scanner.end();
      expect(scannedDepth(root)).toBe(a.depth);
      expect(scannedParts(root)).toBe(a.parts);
    }),
    fuzzParams(300),
  );
});

test('hostile bytes through the shape meter and the IMAP structure (BODYSTRUCTURE, ENVELOPE) never throw', () => {
  fc.assert(
    fc.property(hostile, (bytes) => {
      const meter = new MimeShapeMeter({ maxDepth: 32 });
      meter.push(bytes);
      const shape = meter.result();
      expect(shape.depth).toBeLessThanOrEqual(33);
      expect(shape.headerBytes).toBeLessThanOrEqual(bytes.length);
      const scanner = new MimeScanner(classifyHeader);
      scanner.push(bytes);
      const structure = buildStructure(scanner.end());
      expect(Array.isArray(encodeTree(structure.bodystructure))).toBe(true);
      expect(structure.parts.bodyEnd).toBeLessThanOrEqual(bytes.length);
    }),
    fuzzParams(300),
  );
});

test('very deep nesting is measured up to the limit and the IMAP structure stays bounded', () => {
  for (const depth of [33, 150, 5000]) {
    const bytes = deeplyNested(depth);
    const meter = new MimeShapeMeter({ maxDepth: 32 });
    meter.push(bytes);
    expect(meter.result().depth).toBe(33); // over the limit, reported as limit + 1
    const scanner = new MimeScanner(classifyHeader);
    scanner.push(bytes);
    const root = scanner.end();
    expect(scannedDepth(root)).toBe(Math.min(depth, MAX_SCAN_DEPTH));
    const structure = buildStructure(root);
    expect(JSON.stringify(encodeTree(structure.bodystructure)).length).toBeGreaterThan(0);
  }
  const exact = new MimeShapeMeter({ maxDepth: 32 });
  exact.push(deeplyNested(32));
  expect(exact.result().depth).toBe(32);
});
