/** Content-Type values (RFC 2045 5, RFC 2231 parameters). */
import libmime from 'libmime';
import type { ContentType } from './types';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const DEFAULT_CONTENT_TYPE = 'text/plain; charset=us-ascii';

function parseStrict(value: string): ContentType | undefined {
  const parsed = libmime.parseHeaderValue(value, { stripComments: true });
  const [type, subtype, ...rest] = parsed.value.trim().toLowerCase().split('/');
  if (!type || !subtype || rest.length || !TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params)) params[k.toLowerCase()] = v;
  return { type, subtype, mime: `${type}/${subtype}`, params };
}

/**
 * Parses a Content-Type value. A missing or syntactically invalid value means the default
 * (`text/plain; charset=us-ascii`, RFC 2045 5.2); pass another default for the children of
 * multipart/digest (message/rfc822).
 */
export function parseContentType(value: string | undefined, fallback = DEFAULT_CONTENT_TYPE): ContentType {
  return (
    (value !== undefined ? parseStrict(value) : undefined) ??
    parseStrict(fallback) ?? { type: 'text', subtype: 'plain', mime: 'text/plain', params: { charset: 'us-ascii' } }
  );
}
