/**
 * A minimal reader of definite-length DER/BER: where each element starts, its tag octet and
 * where its contents lie, without building objects. Used to find the parts of a structure
 * that need parsing (and to slice out the ones that only need their bytes, like the
 * certificates in a CMS SignedData) at a fraction of asn1js's cost; asn1-read.ts builds its
 * DER reader on it. Anything it does not handle — indefinite lengths, multi-octet tags,
 * lengths beyond 2^32 — returns undefined, and the caller falls back to asn1js.
 */

export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** The element starting at `offset` and ending at or before `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) return undefined;
  let i = offset + 1;
  const first = buf[i++];
  let length: number;
  if (first < 0x80) length = first;
  else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || i + n > limit) return undefined;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + buf[i++];
  }
  const end = i + length;
  if (end > limit) return undefined;
  return { tag, start: offset, contentStart: i, end };
}

/** The elements inside a constructed element (its contents must be whole elements). */
export function tlvChildren(buf: Uint8Array, parent: Tlv): Tlv[] | undefined {
  if (!(parent.tag & 0x20)) return undefined;
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const t = readTlv(buf, p, parent.end);
    if (!t) return undefined;
    out.push(t);
    p = t.end;
  }
  return out;
}
