/**
 * Turns scanned parts into what IMAP answers with: BODYSTRUCTURE, BODY and ENVELOPE (built by
 * imap-core's own indexer classes, so the syntax matches what its composer expects) and the
 * byte-offset part map used to serve sections.
 */
import parseMimeTree = require('@zone-eu/wildduck/imap-core/lib/indexer/parse-mime-tree');
import BodyStructure = require('@zone-eu/wildduck/imap-core/lib/indexer/body-structure');
import createEnvelope = require('@zone-eu/wildduck/imap-core/lib/indexer/create-envelope');
import type { HeaderClassifier, ScannedPart } from './scanner';
import type { PartMap } from './part-map';

interface ParsedHeader {
  parsedHeader: Record<string, unknown>;
  header: string[];
  multipart: string | false;
  boundary: string | false;
  contentType: string;
  charset?: string;
  encoding?: string;
  date?: string;
}

interface ContentTypeValue {
  value: string;
  type: string;
  subtype: string;
  params: Record<string, string>;
}

/** Parses raw header lines with imap-core's header parser (unfolding, params, addresses). */
export function parseHeaderLines(lines: string[]): ParsedHeader {
  const parser = new parseMimeTree.MIMEParser('');
  parser._node = { header: lines.slice(), parsedHeader: {}, multipart: false, boundary: false };
  parser.processNodeHeader();
  const ct = parser._node.parsedHeader['content-type'] as ContentTypeValue | undefined;
  if (ct) {
    // imap-core compares the subtype case-sensitively; media types are case-insensitive
    ct.subtype = ct.subtype.toLowerCase();
    ct.value = ct.value.toLowerCase();
  }
  parser.processContentType();
  const node = parser._node;
  const cte = node.parsedHeader['content-transfer-encoding'];
  const date = node.parsedHeader['date'];
  return {
    parsedHeader: node.parsedHeader,
    header: node.header,
    multipart: node.multipart || false,
    boundary: node.boundary || false,
    contentType: ct ? `${ct.type}/${ct.subtype}` : 'text/plain',
    charset: ct?.params.charset ? ct.params.charset.toLowerCase() : undefined,
    encoding: typeof cte === 'string' ? cte.trim().toLowerCase() : undefined,
    date: typeof date === 'string' ? date : undefined,
  };
}

/** A message/rfc822 body is a message only when it is not itself encoded (as imap-core decides). */
function isEncapsulatedMessage(h: ParsedHeader): boolean {
  return h.contentType === 'message/rfc822' && (!h.encoding || ['7bit', '8bit', 'binary'].includes(h.encoding));
}

export const classifyHeader: HeaderClassifier = (lines) => {
  const h = parseHeaderLines(lines);
  return { boundary: h.boundary || undefined, isMessage: !h.boundary && isEncapsulatedMessage(h) };
};

export interface MessageStructure {
  parts: PartMap;
  bodystructure: unknown[];
  body: unknown[];
  envelope: unknown[];
  /** The Date header as written, for SENTBEFORE/SENTON/SENTSINCE. */
  date?: string;
}

export function buildStructure(root: ScannedPart): MessageStructure {
  const headers = new Map<ScannedPart, ParsedHeader>();
  const headerOf = (p: ScannedPart): ParsedHeader => {
    let h = headers.get(p);
    if (!h) {
      h = parseHeaderLines(p.headerLines);
      headers.set(p, h);
    }
    return h;
  };

  const toTree = (p: ScannedPart): BodyStructure.StructureNode => {
    const h = headerOf(p);
    return {
      parsedHeader: h.parsedHeader,
      header: h.header,
      multipart: h.multipart,
      boundary: h.boundary,
      size: p.bodyEnd - p.bodyStart,
      lineCount: p.lines,
      childNodes: h.multipart && p.parts.length ? p.parts.map(toTree) : undefined,
      message: p.message ? toTree(p.message) : undefined,
    };
  };

  const toMap = (p: ScannedPart): PartMap => {
    const h = headerOf(p);
    const map: PartMap = {
      headerStart: p.headerStart,
      bodyStart: p.bodyStart,
      bodyEnd: p.bodyEnd,
      lines: p.lines,
      contentType: h.contentType,
    };
    if (h.charset) map.charset = h.charset;
    if (h.encoding) map.encoding = h.encoding;
    if (h.multipart) map.parts = p.parts.map(toMap);
    if (p.message) map.message = toMap(p.message);
    return map;
  };

  const tree = toTree(root);
  return {
    parts: toMap(root),
    bodystructure: new BodyStructure(tree, { upperCaseKeys: true, skipContentLocation: false }).create(),
    body: new BodyStructure(tree, { upperCaseKeys: true, body: true }).create(),
    envelope: createEnvelope(tree.parsedHeader),
    date: headerOf(root).date,
  };
}
