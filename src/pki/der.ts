/**
 * A minimal DER writer. Building structures from bytes (instead of asn1js objects) keeps
 * pre-encoded parts (certificates, tokens, names) byte-exact and is much cheaper than
 * encoding object trees; parsing stays with asn1js/pkijs.
 */

/** Octets the definite length `length` takes (X.690 8.1.3: short form below 128). */
function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  let n = 1;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes identifier and length octets at `at`; returns where the contents start. */
function writeHeader(out: Buffer, at: number, tag: number, length: number): number {
  out[at++] = tag;
  const size = lengthSize(length);
  if (size === 1) {
    out[at++] = length;
    return at;
  }
  out[at++] = 0x80 | (size - 1);
  for (let i = size - 2, v = length; i >= 0; i--, v = Math.floor(v / 256)) out[at + i] = v & 0xff;
  return at + size - 1;
}

/**
 * One TLV whose contents are `parts` concatenated, in one allocation (the nested builders
 * below used to concatenate the parts and then copy the result again behind its header).
 */
function tlvOf(tag: number, parts: readonly Buffer[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = Buffer.allocUnsafe(1 + lengthSize(length) + length);
  let at = writeHeader(out, 0, tag, length);
  for (const p of parts) at += p.copy(out, at);
  return out;
}

/** One TLV with the given identifier octet. */
export function tlv(tag: number, content: Buffer): Buffer {
  return tlvOf(tag, [content]);
}

export function sequence(...items: Buffer[]): Buffer {
  return tlvOf(0x30, items);
}

/** SET OF in DER order (elements sorted by their encodings, X.690 11.6). */
export function setOf(...items: Buffer[]): Buffer {
  return tlvOf(0x31, [...items].sort(Buffer.compare));
}

/** [n] EXPLICIT: wraps a complete encoding. */
export function explicit(tagNumber: number, inner: Buffer): Buffer {
  return tlv(0xa0 | tagNumber, inner);
}

/** [n] IMPLICIT over a constructed type: the contents of `items`, retagged. */
export function implicitConstructed(tagNumber: number, ...items: Buffer[]): Buffer {
  return tlvOf(0xa0 | tagNumber, items);
}

/** [n] IMPLICIT over a primitive type: raw contents octets. */
export function implicitPrimitive(tagNumber: number, content: Buffer): Buffer {
  return tlv(0x80 | tagNumber, content);
}

/** Retags a DER SET OF (0x31) as [n] IMPLICIT, keeping its contents. */
export function retag(encoded: Buffer, newTag: number): Buffer {
  const out = Buffer.from(encoded);
  out[0] = newTag;
  return out;
}

/** Encoded OIDs by dotted form: a few dozen distinct ones are encoded thousands of times. */
const oidCache = new Map<string, Buffer>();

export function oid(dotted: string): Buffer {
  let encoded = oidCache.get(dotted);
  if (!encoded) {
    encoded = encodeOid(dotted);
    if (oidCache.size < 1000) oidCache.set(dotted, encoded);
  }
  // A copy: callers may hand the buffer on to code that writes into it.
  return Buffer.from(encoded);
}

function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`invalid OID ${dotted}`);
    return BigInt(s);
  });
  if (arcs.length < 2) throw new Error(`invalid OID ${dotted}`);
  const values = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const v of values) {
    const group: number[] = [Number(v & 0x7fn)];
    for (let n = v >> 7n; n > 0n; n >>= 7n) group.unshift(Number(n & 0x7fn) | 0x80);
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const ZERO_OCTET = Buffer.from([0]);

/** INTEGER from an unsigned big-endian magnitude (leading zeros trimmed, sign octet added). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = magnitude.subarray(i);
  if (body.length === 0) body = Buffer.from([0]);
  return body[0] & 0x80 ? tlvOf(0x02, [ZERO_OCTET, body]) : tlv(0x02, body);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`unsupported INTEGER ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return unsignedInteger(Buffer.from(bytes.length ? bytes : [0]));
}

export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return Buffer.from([0x05, 0x00]);
}

export function octetString(content: Buffer): Buffer {
  return tlv(0x04, content);
}

export function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlvOf(0x03, [Buffer.from([unusedBits]), content]);
}

/**
 * A named-bit BIT STRING (KeyUsage, PKIFailureInfo) from bit positions; DER drops
 * trailing zero bits (X.690 11.2.2).
 */
export function namedBits(bits: number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] |= 0x80 >> b % 8;
  return bitString(bytes, 7 - (highest % 8));
}

export function utf8String(value: string): Buffer {
  return tlv(0x0c, Buffer.from(value, 'utf8'));
}

export function printableString(value: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw new Error('value is not a PrintableString');
  return tlv(0x13, Buffer.from(value, 'latin1'));
}

export function ia5String(value: string): Buffer {
  if (!/^[\u0000-\u007f]*$/.test(value)) throw new Error('value is not an IA5String');
  return tlv(0x16, Buffer.from(value, 'latin1'));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function utcTime(date: Date): Buffer {
  const s =
    pad(date.getUTCFullYear() % 100) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z';
  return tlv(0x17, Buffer.from(s, 'latin1'));
}

/** GeneralizedTime in UTC; milliseconds when non-zero, without trailing zeros (DER). */
export function generalizedTime(date: Date, withMillis = false): Buffer {
  let s =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds());
  const ms = date.getUTCMilliseconds();
  if (withMillis && ms !== 0) s += '.' + pad(ms, 3).replace(/0+$/, '');
  return tlv(0x18, Buffer.from(s + 'Z', 'latin1'));
}

/** RFC 5280 4.1.2.5 / RFC 5652 11.3: UTCTime up to 2049, GeneralizedTime from 2050. */
export function x509Time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  return y >= 1950 && y < 2050 ? utcTime(date) : generalizedTime(date);
}

/** AlgorithmIdentifier; `parameters` undefined = absent. */
export function algorithmIdentifier(algorithm: string, parameters?: Buffer): Buffer {
  return parameters ? sequence(oid(algorithm), parameters) : sequence(oid(algorithm));
}
