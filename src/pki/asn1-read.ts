/**
 * Reading BER/DER with asn1js while keeping exact bytes: signatures are checked over the
 * bytes as received, never over a re-encoding.
 */
import * as asn1js from 'asn1js';
import { KepError } from '../errors';
import { readTlv } from './der-walk';

/**
 * One parsed element: what the readers below use of it. asn1js's objects have this shape, and
 * so do the ones the DER reader below builds (primitive elements have no `value` array).
 */
export interface Asn1Node {
  idBlock: { tagClass: number; tagNumber: number; isConstructed: boolean };
  /** `{ value: Asn1Node[] }` for a constructed element. */
  valueBlock: object;
  /** The element's exact bytes (identifier, length and contents) as they appeared in the input. */
  valueBeforeDecodeView: Uint8Array;
}

/** Thrown when bytes are not the expected ASN.1 structure (callers wrap it in their own error). */
export class Asn1FormatError extends KepError {
  override readonly name = 'Asn1FormatError';
}

export const TagClass = { universal: 1, application: 2, context: 3, private: 4 } as const;

export const Tag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
} as const;

/** Length of the identifier + length octets of a raw element, and the declared content length (-1 = indefinite). */
function headerOf(raw: Uint8Array): { headerLength: number; contentLength: number } {
  let i = 1;
  if ((raw[0] & 0x1f) === 0x1f) while (i < raw.length && raw[i++] & 0x80);
  const first = raw[i++];
  if (first === 0x80) return { headerLength: i, contentLength: -1 };
  if (!(first & 0x80)) return { headerLength: i, contentLength: first };
  let length = 0;
  for (let k = 0; k < (first & 0x7f); k++) length = length * 256 + raw[i++];
  return { headerLength: i, contentLength: length };
}

/**
 * asn1js lets a child run past the end its parent declares; such input is rejected here so
 * that what we verify is exactly what the lengths say. So is an end-of-contents octet pair
 * standing as an element: asn1js drops the one that closes an indefinite length, and takes
 * any other as a two-byte element whatever length follows it, reading that element's contents
 * as its next siblings (a certificate's tag zeroed made its parts pass for certificates).
 */
function checkLengths(node: Asn1Node, what: string, depth = 0): void {
  if (depth > 64) throw new Asn1FormatError(`${what}: nested too deeply`);
  if (node.idBlock.tagClass === TagClass.universal && node.idBlock.tagNumber === 0) throw new Asn1FormatError(`${what}: end-of-contents out of place`);
  if (!node.idBlock.isConstructed) return;
  const value = (node.valueBlock as { value?: unknown }).value;
  if (!Array.isArray(value)) return;
  const raw = node.valueBeforeDecodeView;
  const { headerLength, contentLength } = headerOf(raw);
  let sum = 0;
  for (const child of value as Asn1Node[]) {
    checkLengths(child, what, depth + 1);
    sum += child.valueBeforeDecodeView.length;
  }
  if (contentLength === -1) return; // indefinite form: bounded by end-of-contents, checked by asn1js
  if (sum !== contentLength || headerLength + contentLength !== raw.length) throw new Asn1FormatError(`${what}: inconsistent lengths`);
}

/**
 * Parses one complete element; trailing bytes and inconsistent lengths are errors. Plain DER
 * (what every signer we meet emits) is read by `readDer`, many times faster than asn1js;
 * anything it is not sure asn1js accepts exactly as it would read it goes to asn1js, so the
 * two readers accept and return the same (test/pki/asn1-read.test.ts holds them to that).
 */
export function parseDer(bytes: Uint8Array, what: string): Asn1Node {
  return readPlainDer(bytes) ?? parseBer(bytes, what);
}

/** The same with asn1js alone (any BER it accepts). */
export function parseBer(bytes: Uint8Array, what: string): Asn1Node {
  if (bytes.length === 0) throw new Asn1FormatError(`${what}: empty input`);
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(bytes);
  } catch (e) {
    // asn1js throws plain errors on some invalid contents (e.g. bad time strings).
    throw new Asn1FormatError(`${what}: not valid BER (${(e as Error).message})`);
  }
  const { offset, result } = parsed;
  if (offset === -1 || result.error) throw new Asn1FormatError(`${what}: not valid BER (${result.error || 'decode failed'})`);
  if (offset !== bytes.length) throw new Asn1FormatError(`${what}: ${bytes.length - offset} trailing bytes`);
  checkLengths(result, what);
  return result;
}

/** The DER reader alone: undefined where parseDer hands the bytes to asn1js (for tests). */
export function readPlainDer(bytes: Uint8Array): Asn1Node | undefined {
  const node = readDer(bytes, 0, bytes.length, 0);
  return node && node.valueBeforeDecodeView.length === bytes.length ? node : undefined;
}

/** Deeper nesting than this is refused (checkLengths); readDer leaves it to asn1js. */
const MAX_DEPTH = 64;
const UTC_TIME = /^\d{12}Z$/;
const GENERALIZED_TIME = /^\d{14}(?:\.\d{1,9})?Z$/;

/**
 * The element at `offset`, read without asn1js; undefined for whatever it leaves to asn1js:
 * what der-walk's readTlv does not read (indefinite lengths, long tags, lengths of more than 4
 * octets), and universal elements whose contents asn1js checks (or might reject) in ways this
 * reader does not repeat.
 */
function readDer(buf: Uint8Array, offset: number, limit: number, depth: number): Asn1Node | undefined {
  const tlv = depth > MAX_DEPTH ? undefined : readTlv(buf, offset, limit);
  if (!tlv) return undefined;
  const tagNumber = tlv.tag & 0x1f;
  const tagClass = (tlv.tag >> 6) + 1;
  const isConstructed = (tlv.tag & 0x20) !== 0;
  if (tagClass === TagClass.universal && !plainUniversal(buf, tagNumber, isConstructed, tlv.contentStart, tlv.end)) return undefined;
  let valueBlock: object = {};
  if (isConstructed) {
    const value: Asn1Node[] = [];
    for (let p = tlv.contentStart; p < tlv.end; ) {
      const child = readDer(buf, p, tlv.end, depth + 1);
      if (!child) return undefined;
      value.push(child);
      p += child.valueBeforeDecodeView.length;
    }
    valueBlock = { value };
  }
  return { idBlock: { tagClass, tagNumber, isConstructed }, valueBlock, valueBeforeDecodeView: buf.subarray(offset, tlv.end) };
}

/** Universal elements whose contents asn1js surely accepts; the rest go to asn1js. */
function plainUniversal(buf: Uint8Array, tag: number, constructed: boolean, start: number, end: number): boolean {
  const length = end - start;
  switch (tag) {
    case Tag.sequence:
    case Tag.set:
      return constructed;
    case Tag.boolean:
      return !constructed && length === 1;
    case Tag.integer:
    case 10: // ENUMERATED
      return !constructed && length > 0;
    case Tag.bitString:
      return !constructed && length > 0 && buf[start] <= 7;
    case Tag.octetString:
      return !constructed && length > 0;
    case Tag.null:
      return !constructed && length === 0;
    case Tag.oid:
      return !constructed && length > 0 && (buf[end - 1] & 0x80) === 0;
    case Tag.utf8String: // asn1js keeps undecodable UTF-8 as raw bytes (a warning, not an error)
    case Tag.printableString:
    case 20: // TeletexString
    case Tag.ia5String:
    case 26: // VisibleString
      return !constructed;
    case Tag.utcTime:
      return !constructed && UTC_TIME.test(latin1(buf, start, end));
    case Tag.generalizedTime:
      return !constructed && GENERALIZED_TIME.test(latin1(buf, start, end));
    default:
      return false;
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return end - start > 40 ? '' : String.fromCharCode(...buf.subarray(start, end));
}

export function isTag(node: Asn1Node | undefined, tagClass: number, tagNumber: number): boolean {
  return !!node && node.idBlock.tagClass === tagClass && node.idBlock.tagNumber === tagNumber;
}

export function isUniversal(node: Asn1Node | undefined, tagNumber: number): boolean {
  return isTag(node, TagClass.universal, tagNumber);
}

export function isContext(node: Asn1Node | undefined, tagNumber: number): boolean {
  return isTag(node, TagClass.context, tagNumber);
}

/** Exact encoding of the node as it appeared in the input (a copy, safe to keep). */
export function rawBytes(node: Asn1Node | undefined): Buffer {
  if (!node) throw new Asn1FormatError('element missing');
  return Buffer.from(node.valueBeforeDecodeView);
}

/** Children of a constructed node. */
export function children(node: Asn1Node | undefined, what: string): Asn1Node[] {
  if (!node) throw new Asn1FormatError(`${what}: element missing`);
  const value = (node.valueBlock as { value?: unknown }).value;
  if (!node.idBlock.isConstructed || !Array.isArray(value)) throw new Asn1FormatError(`${what}: expected a constructed value`);
  return value as Asn1Node[];
}

export function expectUniversal(node: Asn1Node | undefined, tagNumber: number, what: string): Asn1Node {
  if (!isUniversal(node, tagNumber)) throw new Asn1FormatError(`${what}: unexpected element`);
  return node as Asn1Node;
}

export function sequenceChildren(node: Asn1Node | undefined, what: string): Asn1Node[] {
  return children(expectUniversal(node, Tag.sequence, what), what);
}

/** Contents octets of a primitive element (header stripped), from the raw bytes. */
export function primitiveContent(node: Asn1Node | undefined, what: string): Buffer {
  if (!node) throw new Asn1FormatError(`${what}: element missing`);
  if (node.idBlock.isConstructed) throw new Asn1FormatError(`${what}: expected a primitive value`);
  const raw = node.valueBeforeDecodeView;
  let i = 1;
  if ((raw[0] & 0x1f) === 0x1f) while (raw[i++] & 0x80);
  const first = raw[i++];
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + raw[i++];
  }
  if (i + length !== raw.length) throw new Asn1FormatError(`${what}: bad length`);
  return Buffer.from(raw.subarray(i, i + length));
}

/** OCTET STRING contents, also in the constructed (chunked) BER form streaming encoders use. */
export function octetStringContent(node: Asn1Node | undefined, what: string): Buffer {
  if (!isUniversal(node, Tag.octetString)) throw new Asn1FormatError(`${what}: expected OCTET STRING`);
  const n = node as Asn1Node;
  if (!n.idBlock.isConstructed) return primitiveContent(n, what);
  return Buffer.concat(children(n, what).map((c) => octetStringContent(c, what)));
}

/** Dotted OID, decoded from the contents octets (asn1js cannot print arcs beyond 2^53). */
export function oidValue(node: Asn1Node | undefined, what: string): string {
  const content = primitiveContent(expectUniversal(node, Tag.oid, what), what);
  if (content.length === 0 || content[content.length - 1] & 0x80) throw new Asn1FormatError(`${what}: bad OBJECT IDENTIFIER`);
  const values: bigint[] = [];
  let v = 0n;
  for (const b of content) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      values.push(v);
      v = 0n;
    }
  }
  const first = values[0] < 40n ? 0n : values[0] < 80n ? 1n : 2n;
  return [first, values[0] - first * 40n, ...values.slice(1)].join('.');
}

/** INTEGER contents octets (two's complement, as encoded). */
export function integerBytes(node: Asn1Node | undefined, what: string): Buffer {
  return primitiveContent(expectUniversal(node, Tag.integer, what), what);
}

/** A small non-negative INTEGER (versions, counts). */
export function integerNumber(node: Asn1Node | undefined, what: string): number {
  const bytes = integerBytes(node, what);
  if (bytes.length > 6 || bytes[0] & 0x80) throw new Asn1FormatError(`${what}: INTEGER out of range`);
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** UTCTime / GeneralizedTime as a Date (UTC forms only, as RFC 5280/5652/3161 require). */
export function timeValue(node: Asn1Node | undefined, what: string): Date {
  if (!node || node.idBlock.tagClass !== TagClass.universal) throw new Asn1FormatError(`${what}: expected a time`);
  const text = primitiveContent(node, what).toString('latin1');
  let m: RegExpExecArray | null;
  if (node.idBlock.tagNumber === Tag.utcTime) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text);
    if (!m) throw new Asn1FormatError(`${what}: bad UTCTime`);
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  }
  if (node.idBlock.tagNumber === Tag.generalizedTime) {
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
    if (!m) throw new Asn1FormatError(`${what}: bad GeneralizedTime`);
    const ms = m[7] ? Math.floor(Number('0.' + m[7]) * 1000) : 0;
    return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms));
  }
  throw new Asn1FormatError(`${what}: expected a time`);
}

/** AlgorithmIdentifier: OID and the raw parameters (if any). */
export function algorithmValue(node: Asn1Node | undefined, what: string): { oid: string; parameters?: Buffer } {
  const parts = sequenceChildren(node, what);
  const algorithm = oidValue(parts[0], what);
  return parts[1] ? { oid: algorithm, parameters: rawBytes(parts[1]) } : { oid: algorithm };
}
