import { parseHeaderBlock, getHeader, getHeaders, decodeHeaderValue } from '../../src/mime/headers';
import { parseContentType } from '../../src/mime/content-type';

describe('parseHeaderBlock', () => {
  test('fields in order, unfolded values, exact raw bytes', () => {
    const block = Buffer.from(
      'From: Sender <sender@kep.test>\r\n' +
        'Subject: a long\r\n  folded\r\n\tsubject\r\n' +
        'X-Empty:\r\n' +
        'Received: one\r\n' +
        'received: two\r\n' +
        'Subject : obsolete spacing\r\n' +
        '\r\n' +
        'Body: not a header\r\n',
    );
    const fields = parseHeaderBlock(block);
    expect(fields.map((f) => f.key)).toEqual(['from', 'subject', 'x-empty', 'received', 'received', 'subject']);
    expect(fields[1]).toEqual({ key: 'subject', name: 'Subject', value: 'a long  folded\tsubject', raw: Buffer.from('Subject: a long\r\n  folded\r\n\tsubject\r\n') });
    expect(fields[2].value).toBe('');
    expect(fields[5].name).toBe('Subject');
    expect(getHeader(fields, 'SUBJECT')).toBe('a long  folded\tsubject');
    expect(getHeaders(fields, 'Received')).toEqual(['one', 'two']);
    expect(getHeader(fields, 'body')).toBeUndefined();
    // The raw bytes of all fields concatenate back to the block (up to the blank line).
    expect(Buffer.concat(fields.map((f) => f.raw)).toString()).toBe(block.toString().split('\r\n\r\n')[0] + '\r\n');
  });

  test('LF-only blocks and lines that are not fields', () => {
    const fields = parseHeaderBlock(Buffer.from('From me Tue Jan 1\nA: 1\n b\nnot a field\nB: 2\n\nC: 3\n'));
    expect(fields.map((f) => [f.key, f.value])).toEqual([
      ['a', '1 b'],
      ['b', '2'],
    ]);
  });

  test('UTF-8 header values (RFC 6532) and encoded words', () => {
    const fields = parseHeaderBlock(Buffer.from('Subject: Türkçe konu =?UTF-8?B?xZ9lbmxpaw==?=\r\n\r\n'));
    expect(fields[0].value).toBe('Türkçe konu =?UTF-8?B?xZ9lbmxpaw==?=');
    expect(decodeHeaderValue(fields[0].value)).toBe('Türkçe konu şenlik');
    expect(decodeHeaderValue('=?iso-8859-9?Q?=FE=F0=FD?= and =?utf-8?q?=C4=B0?=')).toBe('şğı and İ');
  });
});

describe('parseContentType', () => {
  test('type, subtype, lower-case mime and parameter names', () => {
    const ct = parseContentType('Multipart/Signed; Protocol="application/pkcs7-signature"; MICALG=sha-256; boundary="----=_Part 1"');
    expect(ct).toEqual({
      type: 'multipart',
      subtype: 'signed',
      mime: 'multipart/signed',
      params: { protocol: 'application/pkcs7-signature', micalg: 'sha-256', boundary: '----=_Part 1' },
    });
  });

  test('RFC 2231 continuations and charsets; comments', () => {
    const ct = parseContentType("application/pdf; name*0*=utf-8''%C5%9Fey; name*1=\"tan.pdf\" (comment); x=1");
    expect(ct.params.name).toBe('şeytan.pdf');
    expect(ct.params.x).toBe('1');
  });

  test('missing or invalid values mean text/plain; a chosen default for digests', () => {
    expect(parseContentType(undefined).mime).toBe('text/plain');
    expect(parseContentType(undefined).params.charset).toBe('us-ascii');
    expect(parseContentType('garbage').mime).toBe('text/plain');
    expect(parseContentType('text/').mime).toBe('text/plain');
    expect(parseContentType(undefined, 'message/rfc822').mime).toBe('message/rfc822');
  });
});
