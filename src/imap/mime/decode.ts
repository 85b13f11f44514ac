/**
 * Decoding for SEARCH: RFC 2047 encoded words in header values, Content-Transfer-Encoding and
 * charsets of text parts. Matching is done on decoded text; nothing decoded is ever served.
 */

/** Decodes `=?charset?B|Q?...?=` words; whitespace between adjacent encoded words is dropped. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=/g, (word: string, charset: string, encoding: string, text: string) => {
      const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQEncoding(text);
      const decoded = decodeCharset(bytes, charset.replace(/\*.*$/, ''));
      return decoded ?? word;
    });
}

function decodeQEncoding(text: string): Buffer {
  return decodeQuotedPrintable(Buffer.from(text.replace(/_/g, ' '), 'latin1'));
}

/** Quoted-printable (RFC 2045 §6.7): `=XX` escapes and soft line breaks. */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.alloc(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    // soft line break: "=" at the end of a line (optionally followed by trailing whitespace)
    let j = i + 1;
    while (j < input.length && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (input[j] === 0x0d && input[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (input[j] === 0x0a) {
      i = j;
      continue;
    }
    const hex = input.toString('latin1', i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      out[o++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

export function decodeTransferEncoding(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

/** Decodes bytes in a charset Node knows (ICU); undefined when the charset is unknown. */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string | undefined {
  const label = (charset || 'utf-8').trim().toLowerCase();
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return undefined;
  }
}
