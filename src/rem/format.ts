/**
 * Small, byte-exact MIME writing helpers for the REM messages we sign. Everything is CRLF,
 * 7-bit in headers, lines ≤ 76 characters, so the bytes we hash survive transport unchanged.
 */
import { randomBytesPooled } from '../common/random';
import libmime from 'libmime';

export const CRLF = '\r\n';

/** RFC 5322 date-time in UTC ("Sat, 28 Nov 2026 04:57:38 +0000"). */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** A boundary that cannot be guessed by whoever wrote the content it wraps. */
export function newBoundary(tag: string): string {
  return `----=_kepd_${tag}_${randomBytesPooled(18).toString('base64url')}`;
}

/** Removes CR/LF and other controls that would let a value break out of its header line. */
export function sanitizeHeaderValue(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** Encodes non-ASCII text as RFC 2047 words. */
export function encodeText(value: string): string {
  return libmime.encodeWords(sanitizeHeaderValue(value), 'Q', 52);
}

/** `"Display" <addr>` with the display name quoted or encoded as needed. */
export function formatAddress(address: string, display?: string): string {
  if (!display) return `<${address}>`;
  const clean = sanitizeHeaderValue(display);
  if (/[^\x20-\x7e]/.test(clean)) return `${libmime.encodeWords(clean, 'Q', 52)} <${address}>`;
  return `"${clean.replace(/["\\]/g, '\\$&')}" <${address}>`;
}

/** One header field, folded at 76 characters, terminated by CRLF. */
export function headerLine(name: string, value: string): string {
  const line = `${name}: ${value}`;
  // Most fields are short: libmime returns a line under 76 characters as it is.
  if (line.length < 76 && !/[\r\n]/.test(line)) return line + CRLF;
  return libmime.foldLines(line, 76).replace(/\r?\n/g, CRLF) + CRLF;
}

/** The fields that have a value, each folded; a loop, not callbacks made per call (see evidence/xml-text.ts). */
export function headerBlock(fields: Array<[string, string | undefined]>): string {
  let out = '';
  for (const [name, value] of fields) if (value !== undefined && value !== '') out += headerLine(name, value);
  return out;
}

/** Base64 wrapped at 76 characters with CRLF, as MIME requires. */
export function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 76) out.push(b64.slice(i, i + 76));
  return out.join(CRLF) + CRLF;
}
