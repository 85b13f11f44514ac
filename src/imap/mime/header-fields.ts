/**
 * HEADER.FIELDS / HEADER.FIELDS.NOT: picks whole header fields (with their folded continuation
 * lines, byte for byte) out of a header block, then ends with the blank line RFC 3501 asks for.
 */

export interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** The field's bytes including continuation lines and its line break. */
  raw: Buffer;
}

/** Splits a header block (which may include the blank line that ends it) into fields. */
export function splitHeaderFields(block: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let pos = 0;
  let fieldStart = -1;
  const close = (end: number): void => {
    if (fieldStart < 0) return;
    const raw = block.subarray(fieldStart, end);
    const colon = raw.indexOf(0x3a);
    const name = raw
      .subarray(0, colon < 0 ? raw.length : colon)
      .toString('latin1')
      .trim()
      .toLowerCase();
    fields.push({ name, raw });
    fieldStart = -1;
  };
  while (pos < block.length) {
    const nl = block.indexOf(0x0a, pos);
    const lineEnd = nl < 0 ? block.length : nl + 1;
    const first = block[pos];
    const isBlank = first === 0x0a || (first === 0x0d && block[pos + 1] === 0x0a) || (first === 0x0d && pos + 1 === block.length);
    if (isBlank) break;
    if (first === 0x20 || first === 0x09) {
      // continuation line: stays with the field it folds
      if (fieldStart < 0) fieldStart = pos;
    } else {
      close(pos);
      fieldStart = pos;
    }
    pos = lineEnd;
  }
  close(pos);
  return fields;
}

const CRLF = Buffer.from('\r\n');

/** The selected fields in their original order, followed by a blank line. */
export function filterHeaderFields(block: Buffer, names: string[], exclude: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: Buffer[] = [];
  for (const field of splitHeaderFields(block)) {
    if (wanted.has(field.name) === exclude) continue;
    out.push(field.raw);
    // a last field without a line break still has to end its line
    if (field.raw[field.raw.length - 1] !== 0x0a) out.push(CRLF);
  }
  out.push(CRLF);
  return Buffer.concat(out);
}
