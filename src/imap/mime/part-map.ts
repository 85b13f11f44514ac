/**
 * Byte layout of a stored message's MIME parts. Every FETCH section is served as a byte range
 * of the stored blob, so what a client receives is exactly what was stored. JSON-safe: it is
 * cached in the message meta next to the envelope and body structure.
 */

export interface ByteSpan {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface PartMap {
  /** Offset of the part's first header byte. */
  headerStart: number;
  /** Offset of the first body byte (after the blank line that ends the header). */
  bodyStart: number;
  /** End of the body, exclusive; the line break before a boundary belongs to the boundary. */
  bodyEnd: number;
  /** Text lines in the body. */
  lines: number;
  /** Lower-case media type, e.g. `text/plain`. */
  contentType: string;
  charset?: string;
  /** Lower-case Content-Transfer-Encoding. */
  encoding?: string;
  /** Parts of a multipart. */
  parts?: PartMap[];
  /** The encapsulated message of a message/rfc822 part. */
  message?: PartMap;
}

/** What a FETCH section names, after the numeric path (RFC 3501 §6.4.5). */
export type SectionType = 'content' | 'header' | 'header.fields' | 'header.fields.not' | 'text' | 'mime';

/** The bytes a section refers to, or `header-block` spans that still need field filtering. */
export interface ResolvedSection {
  span: ByteSpan;
  /** True when the span is a header block (HEADER.FIELDS filtering applies to it). */
  isHeader: boolean;
}

/**
 * Finds the part a numeric path names. A non-multipart entity's only part is itself ("1"),
 * and a message/rfc822 part is entered before its children are counted.
 */
export function resolvePart(root: PartMap, path: string): PartMap | undefined {
  if (!path) return root;
  let node: PartMap = root;
  for (const step of path.split('.')) {
    const n = Number(step);
    if (!Number.isInteger(n) || n < 1) return undefined;
    if (node.message) node = node.message;
    if (node.parts) {
      const next = node.parts[n - 1];
      if (!next) return undefined;
      node = next;
    } else if (n !== 1) {
      return undefined;
    }
  }
  return node;
}

/** Resolves a FETCH section to a byte span of the stored message; undefined = empty answer. */
export function resolveSection(root: PartMap, path: string, type: SectionType, totalSize: number): ResolvedSection | undefined {
  if (!path) {
    switch (type) {
      case 'content':
        return { span: { start: 0, end: totalSize }, isHeader: false };
      case 'header':
      case 'header.fields':
      case 'header.fields.not':
        return { span: { start: root.headerStart, end: root.bodyStart }, isHeader: true };
      case 'text':
        return { span: { start: root.bodyStart, end: root.bodyEnd }, isHeader: false };
      default:
        return undefined;
    }
  }
  const part = resolvePart(root, path);
  if (!part) return undefined;
  switch (type) {
    case 'content':
      return { span: { start: part.bodyStart, end: part.bodyEnd }, isHeader: false };
    case 'mime':
      return { span: { start: part.headerStart, end: part.bodyStart }, isHeader: true };
    case 'header':
    case 'header.fields':
    case 'header.fields.not':
      // only an encapsulated message has a header of its own below the top level
      return part.message ? { span: { start: part.message.headerStart, end: part.message.bodyStart }, isHeader: true } : undefined;
    case 'text':
      return part.message ? { span: { start: part.message.bodyStart, end: part.message.bodyEnd }, isHeader: false } : undefined;
    default:
      return undefined;
  }
}

/** Leaf parts in document order (multipart containers skipped, encapsulated messages entered). */
export function leafParts(root: PartMap): PartMap[] {
  const out: PartMap[] = [];
  const walk = (node: PartMap): void => {
    if (node.message) return walk(node.message);
    if (node.parts) return node.parts.forEach(walk);
    out.push(node);
  };
  walk(root);
  return out;
}
