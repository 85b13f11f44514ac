/**
 * Parsing untrusted XML into an @xmldom/xmldom DOM, defensively: bounded size, UTF-8 only,
 * no DTD (so no entity expansion or external fetches), no processing instructions (their
 * data would be canonicalised as text by the c14n we use), bounded depth and node count.
 */
import { DOMParser, type CharacterData, type Document, type Element, type Node } from '@xmldom/xmldom';
import { EvidenceParseError } from './errors';

export const DEFAULT_MAX_XML_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 64;
const MAX_NODES = 200_000;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

export interface ParseLimits {
  maxBytes?: number;
}

export function parseXmlSafely(input: Buffer | string, limits: ParseLimits = {}): Document {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > maxBytes) throw new EvidenceParseError(`XML is ${size} bytes, over the limit of ${maxBytes}`);
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (e) {
      throw new EvidenceParseError('XML is not valid UTF-8', e);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const decl = /^<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']/.exec(text);
  if (decl && !/^utf-?8$/i.test(decl[1] as string)) {
    throw new EvidenceParseError(`unsupported XML encoding ${decl[1]}`);
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new EvidenceParseError('DTDs are not accepted');

  let failure: string | undefined;
  const parser = new DOMParser({
    locator: false,
    // XML 1.0 line ends only; xmldom's default also folds U+0085 and U+2028 (XML 1.1), which
    // would make us read — and digest — other text than libxml2/xmlsec1 and the signer did.
    normalizeLineEndings: (s) => s.replace(/\r\n?/g, '\n'),
    onError: (level, msg) => {
      // U+FFFD is a legal character (we write it ourselves in place of unusable ones).
      if (level === 'warning' && msg.startsWith('Unicode replacement character')) return;
      // Every other report counts, warnings too: xmldom recovers from malformed input
      // (e.g. unquoted attributes) that we want to refuse.
      failure ??= `${level}: ${msg}`;
      throw new Error(msg);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(text, 'application/xml');
  } catch (e) {
    throw new EvidenceParseError(`not well-formed XML (${failure ?? (e as Error).message})`, e);
  }
  if (failure) throw new EvidenceParseError(`not well-formed XML (${failure})`);
  if (!doc.documentElement) throw new EvidenceParseError('no root element');
  checkTree(doc);
  return doc;
}

/** Refuses node kinds we never produce and trees too deep or too large to process safely. */
function checkTree(doc: Document): void {
  let count = 0;
  const stack: Array<{ node: Node; depth: number }> = [];
  for (let c = doc.firstChild; c; c = c.nextSibling) stack.push({ node: c, depth: 1 });
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (++count > MAX_NODES) throw new EvidenceParseError('XML has too many nodes');
    if (depth > MAX_DEPTH) throw new EvidenceParseError('XML is nested too deeply');
    const t = node.nodeType;
    if (t === ELEMENT_NODE) {
      for (let c = node.firstChild; c; c = c.nextSibling) stack.push({ node: c, depth: depth + 1 });
    } else if (t === PROCESSING_INSTRUCTION_NODE && depth === 1 && node.nodeName === 'xml' && node === doc.firstChild) {
      // xmldom keeps the XML declaration as a processing-instruction node.
    } else if (t !== TEXT_NODE && t !== CDATA_SECTION_NODE && t !== COMMENT_NODE) {
      throw new EvidenceParseError(`XML node type ${t} is not accepted (processing instruction, DTD or entity)`);
    }
  }
}

export function isElement(n: Node | null | undefined): n is Element {
  return !!n && n.nodeType === ELEMENT_NODE;
}

export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (isElement(c)) out.push(c);
  return out;
}

export function childrenNS(el: Element, ns: string, local: string): Element[] {
  return childElements(el).filter((c) => c.namespaceURI === ns && c.localName === local);
}

export function childNS(el: Element, ns: string, local: string): Element | undefined {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (isElement(c) && c.namespaceURI === ns && c.localName === local) return c;
  }
  return undefined;
}

/** Direct character content of an element (text and CDATA children), untrimmed. */
export function textOf(el: Element): string {
  let s = '';
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) s += (c as CharacterData).data;
  }
  return s;
}

/** All descendant elements (document order) carrying attribute `name` (no namespace) equal to `value`. */
export function elementsWithAttr(root: Element, name: string, value: string): Element[] {
  const out: Element[] = [];
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (el.getAttribute(name) === value) out.push(el);
    const kids = childElements(el);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as Element);
  }
  return out;
}
