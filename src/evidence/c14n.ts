/**
 * Canonical XML of a DOM subtree via xml-crypto's canonicalizers. Exclusions (enveloped
 * signature, XPath-Filter-2 "subtract" of ds:Signature) are applied by detaching the excluded
 * elements for the duration of the call — the same node-set the transforms describe.
 */
import type { Element, Node } from '@xmldom/xmldom';
import {
  C14nCanonicalization,
  C14nCanonicalizationWithComments,
  ExclusiveCanonicalization,
  ExclusiveCanonicalizationWithComments,
} from 'xml-crypto';
import { findAncestorNsForElement } from 'xml-crypto/lib/utils';
import { ALG_C14N, ALG_C14N_COMMENTS, ALG_EXC_C14N, ALG_EXC_C14N_COMMENTS } from './namespaces';

export const C14N_ALGORITHMS: ReadonlySet<string> = new Set([ALG_EXC_C14N, ALG_EXC_C14N_COMMENTS, ALG_C14N, ALG_C14N_COMMENTS]);

const exclusive = new ExclusiveCanonicalization();
const exclusiveWithComments = new ExclusiveCanonicalizationWithComments();
const inclusive = new C14nCanonicalization();
const inclusiveWithComments = new C14nCanonicalizationWithComments();

/** xml-crypto is typed against the browser DOM (not loaded here); at runtime it walks xmldom nodes. */
type XmlCryptoElement = Parameters<ExclusiveCanonicalization['process']>[0];
const forXmlCrypto = (el: Element): XmlCryptoElement => el as unknown as XmlCryptoElement;

export interface C14nOptions {
  /** exc-c14n InclusiveNamespaces PrefixList. */
  inclusivePrefixes?: string[];
  /** Elements (with their subtrees) left out of the output. */
  exclude?: Element[];
}

/** Canonicalises `el` with the given c14n algorithm URI (throws on an unknown one). */
export function canonicalize(el: Element, algorithm: string, opts: C14nOptions = {}): string {
  const detached = detach(opts.exclude ?? []);
  const node = forXmlCrypto(el);
  try {
    switch (algorithm) {
      case ALG_EXC_C14N:
        return exclusive.process(node, { inclusiveNamespacesPrefixList: opts.inclusivePrefixes ?? [] });
      case ALG_EXC_C14N_COMMENTS:
        return exclusiveWithComments.process(node, { inclusiveNamespacesPrefixList: opts.inclusivePrefixes ?? [] });
      case ALG_C14N:
        return inclusive.process(node, { ancestorNamespaces: findAncestorNsForElement(node) });
      case ALG_C14N_COMMENTS:
        return inclusiveWithComments.process(node, { ancestorNamespaces: findAncestorNsForElement(node) });
      default:
        throw new Error(`unsupported canonicalization ${algorithm}`);
    }
  } finally {
    reattach(detached);
  }
}

interface Detached {
  node: Element;
  parent: Node;
  next: Node | null;
}

function detach(nodes: Element[]): Detached[] {
  const out: Detached[] = [];
  for (const node of nodes) {
    const parent = node.parentNode;
    if (!parent) continue;
    out.push({ node, parent, next: node.nextSibling });
    parent.removeChild(node);
  }
  return out;
}

function reattach(list: Detached[]): void {
  // Reverse order restores positions even when excluded nodes were siblings.
  for (let i = list.length - 1; i >= 0; i--) {
    const { node, parent, next } = list[i] as Detached;
    parent.insertBefore(node, next);
  }
}
