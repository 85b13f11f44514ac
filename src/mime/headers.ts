/** Header blocks (RFC 5322 2.2): fields in order, with their exact bytes. */
import libmime from 'libmime';
import type { HeaderField } from './types';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

/** Lines of `buf`, each with its line end (CRLF, or bare LF). */
function lines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    const lf = buf.indexOf(LF, start);
    const end = lf === -1 ? buf.length : lf + 1;
    out.push(buf.subarray(start, end));
    start = end;
  }
  return out;
}

const isBlank = (line: Buffer): boolean => line.length === 0 || (line[0] === LF && line.length === 1) || (line[0] === CR && line[1] === LF && line.length === 2);

function field(raw: Buffer): HeaderField | undefined {
  const colon = raw.indexOf(0x3a);
  if (colon <= 0) return undefined; // not a field (e.g. an mbox "From " line): skipped
  const name = raw.subarray(0, colon).toString('utf8').replace(/[ \t]+$/, '');
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return undefined;
  // Unfolding removes the line breaks only; the whitespace that follows stays (RFC 5322 2.2.3).
  const value = raw
    .subarray(colon + 1)
    .toString('utf8')
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/\r?\n$/, '')
    .trim();
  return { key: name.toLowerCase(), name, value, raw: Buffer.from(raw) };
}

/**
 * Parses a header block; parsing stops at the first empty line (the block may include it and
 * what follows). Lines that are not fields are skipped.
 */
export function parseHeaderBlock(buf: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: Buffer[] = [];
  for (const line of lines(buf)) {
    if (isBlank(line)) break;
    if (line[0] === SP || line[0] === HT) {
      if (current.length) current.push(line);
      continue;
    }
    addField(fields, current);
    current = [line];
  }
  addField(fields, current);
  return fields;
}

/** The field made of `lines` (a field line and its continuations), if any; a function of its own, not a closure per call (see evidence/xml-text.ts). */
function addField(fields: HeaderField[], lines: Buffer[]): void {
  if (lines.length === 0) return;
  const f = field(lines.length === 1 ? lines[0] : Buffer.concat(lines));
  if (f) fields.push(f);
}

/** Value of the first field with this name. */
export function getHeader(fields: HeaderField[], name: string): string | undefined {
  const key = name.toLowerCase();
  for (const f of fields) if (f.key === key) return f.value;
  return undefined;
}

export function getHeaders(fields: HeaderField[], name: string): string[] {
  const key = name.toLowerCase();
  const values: string[] = [];
  for (const f of fields) if (f.key === key) values.push(f.value);
  return values;
}

/** Decodes RFC 2047 encoded-words for display (Subject, names). */
export function decodeHeaderValue(value: string): string {
  return libmime.decodeWords(value);
}
