/**
 * Messages for IMAP tests, built byte by byte so that every expected section can be located
 * independently (by searching the bytes), not by the code under test.
 */
import { randomBytes } from 'node:crypto';

const CRLF = '\r\n';

export interface BuiltMessage {
  bytes: Buffer;
  /** Raw bytes of named pieces, to compare sections against. */
  pieces: Record<string, Buffer>;
}

/** Base64 with 76-character lines, CRLF-terminated, as MIME writes it. */
export function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/**
 * A dispatch-like message: multipart/mixed with an introduction (text/plain), the original
 * message (message/rfc822, itself multipart/alternative), a binary attachment (base64) and an
 * XML evidence part.
 */
export function dispatchMessage(opts: { subject?: string; to?: string; from?: string; attachment?: Buffer } = {}): BuiltMessage {
  const attachment = opts.attachment ?? randomBytes(70_000);
  const intro = `Bu ileti Kayitli Elektronik Posta ile gonderilmistir.${CRLF}Gonderen: ali@kep.test${CRLF}`;
  const innerText = `Merhaba,${CRLF}bu asil ileti metnidir: belge-7734.${CRLF}`;
  const innerHtml = `<p>Merhaba, <b>asil</b> ileti.</p>${CRLF}`;
  const inner =
    [
      'From: Ali Veli <ali@kep.test>',
      'To: Alice <alice@kep.test>',
      'Subject: =?UTF-8?Q?=C3=96nemli_tebligat?=',
      'Date: Tue, 02 Jan 2024 10:00:00 +0300',
      'Message-ID: <orig-1@kep.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="alt-b"',
      '',
      '--alt-b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      innerText.replace(/\r\n$/, ''),
      '--alt-b',
      'Content-Type: text/html; charset=utf-8',
      '',
      innerHtml.replace(/\r\n$/, ''),
      '--alt-b--',
      '',
    ].join(CRLF);
  const xml = `<?xml version="1.0"?>${CRLF}<SubmissionAcceptanceRejection/>${CRLF}`;
  const attachmentB64 = base64Lines(attachment);
  const header = [
    'Return-Path: <kepd@kep.test>',
    `From: ${opts.from ?? 'KEP Hizmeti <kepd@kep.test>'}`,
    `To: ${opts.to ?? 'alice@kep.test'}`,
    `Subject: ${opts.subject ?? '=?UTF-8?B?S0VQIMSwbGV0aXNpOiDDlm5lbWxpIHRlYmxpZ2F0?='}`,
    'Date: Tue, 02 Jan 2024 10:00:05 +0300',
    'Message-ID: <dispatch-1@kep.test>',
    'X-REM-Message-Identifier: K01TEST',
    'X-Folded: first part',
    '\tsecond part',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mix-b"',
    '',
    '',
  ].join(CRLF);
  const introPart = `Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: 8bit${CRLF}${CRLF}`;
  const innerPart = `Content-Type: message/rfc822${CRLF}${CRLF}`;
  const attPart = `Content-Type: application/octet-stream; name="belge.bin"${CRLF}Content-Disposition: attachment; filename="belge.bin"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}`;
  const xmlPart = `Content-Type: application/xml; name="SubmissionAcceptanceRejection.xml"${CRLF}${CRLF}`;
  const body =
    `This is a multi-part message in MIME format.${CRLF}` +
    `--mix-b${CRLF}${introPart}${intro}${CRLF}` +
    `--mix-b${CRLF}${innerPart}${inner}${CRLF}` +
    `--mix-b${CRLF}${attPart}${attachmentB64}${CRLF}` +
    `--mix-b${CRLF}${xmlPart}${xml}${CRLF}` +
    `--mix-b--${CRLF}epilogue${CRLF}`;
  const bytes = Buffer.from(header + body, 'utf8');
  return {
    bytes,
    pieces: {
      header: Buffer.from(header, 'utf8'),
      text: Buffer.from(body, 'utf8'),
      intro: Buffer.from(intro, 'utf8'),
      introMime: Buffer.from(introPart, 'utf8'),
      inner: Buffer.from(inner, 'utf8'),
      innerText: Buffer.from(innerText.replace(/\r\n$/, ''), 'utf8'),
      attachmentB64: Buffer.from(attachmentB64, 'latin1'),
      attachment,
      xml: Buffer.from(xml, 'utf8'),
    },
  };
}

/** A plain single-part message. */
export function simpleMessage(opts: { subject: string; from?: string; to?: string; body?: string; date?: string }): Buffer {
  return Buffer.from(
    [
      `From: ${opts.from ?? 'Sender <sender@kep.test>'}`,
      `To: ${opts.to ?? 'alice@kep.test'}`,
      `Subject: ${opts.subject}`,
      `Date: ${opts.date ?? 'Mon, 01 Jan 2024 09:00:00 +0000'}`,
      `Message-ID: <${randomBytes(6).toString('hex')}@kep.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      opts.body ?? 'Hello there.',
      '',
    ].join(CRLF),
    'utf8',
  );
}
