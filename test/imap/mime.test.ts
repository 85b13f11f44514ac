/** MIME structure scanning, section resolution and header-field selection (pure logic). */
import { MimeScanner } from '../../src/imap/mime/scanner';
import { buildStructure, classifyHeader } from '../../src/imap/mime/structure';
import { resolveSection, type PartMap } from '../../src/imap/mime/part-map';
import { filterHeaderFields } from '../../src/imap/mime/header-fields';
import { decodeEncodedWords, decodeQuotedPrintable } from '../../src/imap/mime/decode';
import { dispatchMessage, simpleMessage } from '../support/imap-messages';

function scan(bytes: Buffer, chunkSize = bytes.length): ReturnType<typeof buildStructure> {
  const scanner = new MimeScanner(classifyHeader);
  for (let i = 0; i < bytes.length; i += chunkSize) scanner.push(bytes.subarray(i, i + chunkSize));
  return buildStructure(scanner.end());
}

function section(bytes: Buffer, parts: PartMap, path: string, type: Parameters<typeof resolveSection>[2]): Buffer {
  const s = resolveSection(parts, path, type, bytes.length);
  return s ? bytes.subarray(s.span.start, s.span.end) : Buffer.alloc(0);
}

describe('MIME scanner', () => {
  const msg = dispatchMessage();

  it.each([1, 7, 64, 4096, msg.bytes.length])('finds every section byte-exact when fed in %i-byte chunks', (chunk) => {
    const { parts } = scan(msg.bytes, chunk);
    expect(section(msg.bytes, parts, '', 'header').equals(msg.pieces.header)).toBe(true);
    expect(section(msg.bytes, parts, '', 'text').equals(msg.pieces.text)).toBe(true);
    expect(section(msg.bytes, parts, '1', 'content').equals(msg.pieces.intro)).toBe(true);
    expect(section(msg.bytes, parts, '1', 'mime').equals(msg.pieces.introMime)).toBe(true);
    expect(section(msg.bytes, parts, '2', 'content').equals(msg.pieces.inner)).toBe(true);
    expect(section(msg.bytes, parts, '2.1', 'content').equals(msg.pieces.innerText)).toBe(true);
    expect(section(msg.bytes, parts, '3', 'content').equals(msg.pieces.attachmentB64)).toBe(true);
    expect(section(msg.bytes, parts, '4', 'content').equals(msg.pieces.xml)).toBe(true);
    // the encapsulated message's own header and text
    const innerHeaderEnd = msg.pieces.inner.indexOf('\r\n\r\n') + 4;
    expect(section(msg.bytes, parts, '2', 'header').equals(msg.pieces.inner.subarray(0, innerHeaderEnd))).toBe(true);
    expect(section(msg.bytes, parts, '2', 'text').equals(msg.pieces.inner.subarray(innerHeaderEnd))).toBe(true);
    expect(resolveSection(parts, '9', 'content', msg.bytes.length)).toBeUndefined();
    expect(resolveSection(parts, '1', 'header', msg.bytes.length)).toBeUndefined();
  });

  it('builds BODYSTRUCTURE with octet sizes of the stored bytes and line counts', () => {
    const { bodystructure, parts } = scan(msg.bytes);
    const [intro, inner, attachment] = bodystructure as unknown[][];
    expect(intro.slice(0, 2)).toEqual(['TEXT', 'PLAIN']);
    expect(intro[6]).toBe(msg.pieces.intro.length);
    // two CRLF-terminated lines
    expect(intro[7]).toBe(2);
    expect(inner.slice(0, 2)).toEqual(['MESSAGE', 'RFC822']);
    expect(inner[6]).toBe(msg.pieces.inner.length);
    expect(attachment.slice(0, 2)).toEqual(['APPLICATION', 'OCTET-STREAM']);
    expect(attachment[6]).toBe(msg.pieces.attachmentB64.length);
    expect(bodystructure[4]).toBe('MIXED');
    expect(parts.parts?.map((p) => p.contentType)).toEqual(['text/plain', 'message/rfc822', 'application/octet-stream', 'application/xml']);
    expect(parts.parts?.[1].message?.parts?.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
  });

  it('builds the ENVELOPE from the root header', () => {
    const { envelope } = scan(msg.bytes);
    expect(envelope[0]).toBe('Tue, 02 Jan 2024 10:00:05 +0300');
    expect(String(envelope[1])).toBe('KEP İletisi: Önemli tebligat');
    expect(envelope[9]).toBe('<dispatch-1@kep.test>');
  });

  it('handles bare LF line ends and a missing final line break without changing bytes', () => {
    const bytes = Buffer.from('Subject: lf\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\none\ntwo\n--x\nContent-Type: text/html\n\n<p>last</p>\n--x--', 'latin1');
    const { parts } = scan(bytes, 3);
    expect(section(bytes, parts, '1', 'content').toString()).toBe('one\ntwo');
    expect(parts.parts?.[0].lines).toBe(2);
    expect(section(bytes, parts, '2', 'content').toString()).toBe('<p>last</p>');
    expect(section(bytes, parts, '2', 'mime').toString()).toBe('Content-Type: text/html\n\n');
    expect(section(bytes, parts, '', 'header').toString()).toBe('Subject: lf\nContent-Type: multipart/mixed; boundary=x\n\n');
  });

  it('treats a single-part message body as part 1 and counts its lines', () => {
    const bytes = simpleMessage({ subject: 'x', body: 'a\r\nb\r\nc' });
    const { parts, bodystructure } = scan(bytes);
    const body = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    expect(section(bytes, parts, '1', 'content').equals(body)).toBe(true);
    expect(parts.lines).toBe(3);
    expect(bodystructure.slice(0, 2)).toEqual(['TEXT', 'PLAIN']);
  });

  it('does not take a boundary-like line inside a part for a boundary of another', () => {
    const bytes = Buffer.from(
      'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n\r\n--b1x is not a boundary\r\n--b10\r\n--b1 \r\n\r\nsecond\r\n--b1--\r\n',
      'latin1',
    );
    const { parts } = scan(bytes);
    expect(parts.parts).toHaveLength(2);
    expect(section(bytes, parts, '1', 'content').toString()).toBe('--b1x is not a boundary\r\n--b10');
    expect(section(bytes, parts, '2', 'content').toString()).toBe('second');
  });
});

describe('HEADER.FIELDS', () => {
  const header = Buffer.from('From: a@b\r\nSubject: one\r\n two\r\nTo: c@d\r\nsubject: again\r\n\r\n');

  it('keeps whole folded fields, in order, and ends with a blank line', () => {
    expect(filterHeaderFields(header, ['subject'], false).toString()).toBe('Subject: one\r\n two\r\nsubject: again\r\n\r\n');
    expect(filterHeaderFields(header, ['SUBJECT', 'from'], true).toString()).toBe('To: c@d\r\n\r\n');
    expect(filterHeaderFields(header, ['x-none'], false).toString()).toBe('\r\n');
  });
});

describe('decoding for SEARCH', () => {
  it('decodes encoded words (B and Q, adjacent words joined)', () => {
    expect(decodeEncodedWords('=?UTF-8?B?w5ZuZW1saQ==?= =?UTF-8?Q?_tebligat?= x')).toBe('Önemli tebligat x');
    expect(decodeEncodedWords('=?ISO-8859-9?Q?=DDstanbul?=')).toBe('İstanbul');
  });

  it('decodes quoted-printable with soft line breaks', () => {
    expect(decodeQuotedPrintable(Buffer.from('caf=C3=A9 =\r\nau lait=3D')).toString()).toBe('café au lait=');
  });
});
