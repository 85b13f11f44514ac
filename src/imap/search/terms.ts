/**
 * imap-core hands SEARCH strings over as 'binary' strings (one char per byte). Text terms are
 * decoded here with the command's CHARSET (UTF-8 when none is given) before matching.
 */
import { decodeCharset } from '../mime/decode';
import type { SearchNode } from './match';

const TEXT_KEYS = new Set(['header', 'body', 'text']);

/** The query with text values decoded, or undefined when the CHARSET is not one Node knows. */
export function decodeSearchQuery(nodes: SearchNode[]): SearchNode[] | undefined {
  const charsetTerm = nodes.find((n): n is Exclude<SearchNode, SearchNode[]> => !Array.isArray(n) && n.key === 'charset');
  const charset = charsetTerm ? String(charsetTerm.value ?? '') : 'utf-8';
  if (decodeCharset(Buffer.alloc(0), charset) === undefined) return undefined;
  const walk = (node: SearchNode): SearchNode => {
    if (Array.isArray(node)) return node.map(walk);
    if (node.key === 'not') return { ...node, value: walk(node.value as SearchNode) };
    if (node.key === 'or') return { ...node, value: (node.value as SearchNode[]).map(walk) };
    if (TEXT_KEYS.has(node.key) && typeof node.value === 'string') {
      const bytes = Buffer.from(node.value, 'latin1');
      return { ...node, value: decodeCharset(bytes, charset) ?? node.value };
    }
    return node;
  };
  return nodes.map(walk);
}
