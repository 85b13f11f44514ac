/**
 * One FETCH response (the object imap-core's `formatResponse` builds) as bytes, in one go, for
 * responses whose literals are already in memory. imap-core's streaming compiler answers every
 * message through a PassThrough, a length limiter, a pipe and a timer; for small messages that
 * machinery costs more than the bytes. The output is byte for byte what that compiler sends:
 * - each item and value is compiled by imap-core's own string compiler, which differs from
 *   the streaming one only in how it encodes non-ASCII atoms (bytes vs UTF-8) and in writing a
 *   partial's length (`<0.100>`, the response wants `<0>`). Keys are compiled with the origin
 *   only; a response whose compiled text is not pure ASCII is left to the streaming compiler
 *   (undefined is returned), so encodings never differ;
 * - items are separated as the compilers separate them: one space, none after `(`, `<` or `[`
 *   unless a literal came before;
 * - literals are `{n}\r\n` and the bytes: Buffers as they are, strings one byte per char.
 * A literal that is a stream also gets undefined: it must be streamed.
 */
import type { ResponseObject } from '@zone-eu/wildduck/imap-core';
import { imapHandler } from '@zone-eu/wildduck/imap-core';

interface Node {
  type?: string;
  value?: unknown;
  partial?: unknown[];
}

const NO_SPACE_AFTER = new Set(['(', '<', '[']);
const ASCII = /^[\x00-\x7f]*$/;
const CRLF = '\r\n';

/** Compiled keys (the query's attribute objects are shared by every message of a command). */
const keyTexts = new WeakMap<object, string>();

/** The response without its final CRLF, as pieces to write in order; undefined when it must be streamed. */
export function composeFetchResponse(response: ResponseObject): Buffer[] | undefined {
  const attributes = response.attributes as unknown[];
  const items = attributes[1];
  if (response.tag !== '*' || !Array.isArray(items)) return undefined;
  const pieces: Buffer[] = [];
  let text = `* ${response.command} FETCH (`;
  let afterLiteral = false;
  for (let i = 0; i < items.length; i++) {
    const node = items[i] as Node | null;
    if (i > 0 && (afterLiteral || !NO_SPACE_AFTER.has(text.charAt(text.length - 1)))) text += ' ';
    afterLiteral = false;
    if (node && typeof node === 'object' && !Array.isArray(node) && node.type === 'LITERAL') {
      const bytes = literalBytes(node.value);
      if (!bytes) return undefined;
      text += `{${bytes.length}}${CRLF}`;
      pieces.push(Buffer.from(text, 'latin1'), bytes);
      // the compilers' "last character" after a literal is its last byte; only `afterLiteral` decides
      text = '';
      afterLiteral = true;
      continue;
    }
    const compiled = i % 2 === 0 ? keyText(node) : valueText(node);
    if (!ASCII.test(compiled)) return undefined;
    text += compiled;
  }
  text += ')';
  pieces.push(Buffer.from(text, 'latin1'));
  return pieces;
}

/** A literal's bytes as the streaming compiler sends them; undefined for a stream. */
function literalBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value && typeof (value as { pipe?: unknown }).pipe === 'function') return undefined;
  const text = typeof value === 'number' ? String(value) : String(value || '');
  return Buffer.from(text, 'latin1');
}

function keyText(node: Node | null): string {
  if (!node || typeof node !== 'object') return valueText(node);
  let text = keyTexts.get(node);
  if (text === undefined) {
    // the response names a partial by its origin only (RFC 3501 7.4.2)
    const key = Array.isArray(node.partial) && node.partial.length > 1 ? { ...node, partial: node.partial.slice(0, 1) } : node;
    text = valueText(key);
    keyTexts.set(node, text);
  }
  return text;
}

function valueText(node: unknown): string {
  return imapHandler.compiler({ tag: '', command: '', attributes: [node] });
}
