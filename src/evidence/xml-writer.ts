/**
 * A minimal indenting XML writer for documents whose shape we control (no mixed content).
 * It writes elements the way exclusive canonical XML does (explicit end tags, canonical
 * escaping, namespace declarations then attributes, each sorted), so that a subtree whose
 * namespace declarations are placed where exc-c14n puts them is its own canonical form.
 */
import { escapeAttr, escapeText } from './xml-text';

export type Attrs = ReadonlyArray<readonly [string, string]>;

export class XmlWriter {
  private readonly parts: string[] = [];
  private depth: number;

  constructor(
    private readonly indent = '  ',
    startDepth = 0,
  ) {
    this.depth = startDepth;
  }

  /** Opens an element; attributes are escaped and ordered here. */
  open(name: string, attrs?: Attrs): this {
    this.parts.push(this.pad(), '<', name, renderAttrs(attrs), '>\n');
    this.depth++;
    return this;
  }

  close(name: string): this {
    this.depth--;
    this.parts.push(this.pad(), '</', name, '>\n');
    return this;
  }

  /** An element with text content (escaped here). Empty text gives `<a></a>`, as c14n writes it. */
  leaf(name: string, text: string, attrs?: Attrs): this {
    this.parts.push(this.pad(), '<', name, renderAttrs(attrs), '>', escapeText(text), '</', name, '>\n');
    return this;
  }

  /** Inserts an already rendered element (no leading indent, no trailing newline) at this depth. */
  raw(element: string): this {
    this.parts.push(this.pad(), element, '\n');
    return this;
  }

  toString(): string {
    return this.parts.join('');
  }

  private pad(): string {
    return this.indent.repeat(this.depth);
  }
}

function renderAttrs(attrs: Attrs | undefined): string {
  if (!attrs || attrs.length === 0) return '';
  // c14n order: namespace declarations by prefix, then (unprefixed) attributes by name.
  const sorted = attrs.length === 1 ? attrs : [...attrs].sort(compareAttrs);
  let s = '';
  for (const [k, v] of sorted) s += ` ${k}="${escapeAttr(v)}"`;
  return s;
}

function compareAttrs(a: readonly [string, string], b: readonly [string, string]): number {
  const an = a[0] === 'xmlns' || a[0].startsWith('xmlns:');
  const bn = b[0] === 'xmlns' || b[0].startsWith('xmlns:');
  if (an !== bn) return an ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
