/**
 * Text-level XML helpers for rendering: escaping, XML 1.0 character policy, NCNames, times.
 *
 * Character policy: XML 1.0 cannot carry most C0 controls, lone surrogates, U+FFFE/U+FFFF.
 * Free text that comes from users (subject, names, reason details, Message-IDs) is cleaned by
 * replacing each such character with U+FFFD, so that an evidence can always be issued — even a
 * rejection of a hostile message. Values the provider generates (ids, URIs, addresses) are
 * checked instead and refused with InvalidEvidenceData, since a bad one is a bug upstream.
 */
import { InvalidEvidenceData } from './errors';

// Everything outside the XML 1.0 Char production (with the `u` flag a lone surrogate is one code point).
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const HAS_NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Replaces characters XML 1.0 cannot carry with U+FFFD. */
export function toXmlChars(s: string): string {
  return HAS_NOT_XML_CHAR.test(s) ? s.replace(NOT_XML_CHAR, '\uFFFD') : s;
}

export function hasOnlyXmlChars(s: string): boolean {
  return !HAS_NOT_XML_CHAR.test(s);
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTR_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/*
 * Replacers are module-level functions rather than arrows written into each call: V8 keeps a
 * function's optimized code only while a closure that uses it is alive, so a closure made
 * per call had its code dropped at every full collection and compiled again (seen as the most
 * recompiled functions of a loaded daemon).
 */
const textEscape = (c: string): string => TEXT_ESCAPES[c] as string;
const attrEscape = (c: string): string => ATTR_ESCAPES[c] as string;

/**
 * Escapes character data the way canonical XML writes it (CR as a reference, so it survives
 * the parser's line-end normalisation and the bytes equal their canonical form).
 */
export function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, textEscape);
}

/** Escapes an attribute value (double-quoted) as canonical XML writes it. */
export function escapeAttr(s: string): string {
  return s.replace(/[&<"\t\n\r]/g, attrEscape);
}

// XML 1.0 (5th ed.) NameStartChar / NameChar without ':'.
const NC_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NC_REST = NC_START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040';
const NCNAME = new RegExp(`^[${NC_START}][${NC_REST}]*$`, 'u');

/** True when `s` is an XML NCName (what an `xs:ID` such as the evidence @Id must be). */
export function isNCName(s: string): boolean {
  return NCNAME.test(s);
}

/** xs:dateTime in UTC with `Z`, millisecond precision kept (so render → parse round-trips). */
export function formatDateTime(d: Date, field: string): string {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t)) throw new InvalidEvidenceData(field, 'not a valid date');
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) throw new InvalidEvidenceData(field, 'year outside 0001..9999');
  return d.toISOString();
}

/** A provider-generated string: must be non-empty and carry only XML characters. */
export function checkedValue(s: string | undefined, field: string): string {
  if (typeof s !== 'string' || s.length === 0) throw new InvalidEvidenceData(field, 'missing or empty');
  if (!hasOnlyXmlChars(s)) throw new InvalidEvidenceData(field, 'contains characters XML 1.0 cannot carry');
  return s;
}
