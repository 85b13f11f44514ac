/**
 * Evaluates a SEARCH query (as imap-core's parser builds it) against one message. Cheap keys
 * (flags, uid, size, dates) are checked first; header and body text are loaded only when a
 * term needs them, through the lazy accessors of `SearchSubject`.
 */
import { compareDays, headerDateDay, instantDay, searchDateDay } from './dates';

export interface SearchTermNode {
  key: string;
  value?: unknown;
  header?: string;
  operator?: string;
  exists?: boolean;
}

export type SearchNode = SearchTermNode | SearchNode[];

export interface SearchSubject {
  uid: number;
  flags: string[];
  internalDate: Date;
  size: number;
  modseq: number;
  /** Root header fields: lower-case name and unfolded, decoded, lower-cased value. */
  headerFields(): Promise<Array<{ name: string; value: string }>>;
  /** The Date header as written. */
  sentDate(): Promise<string | undefined>;
  /** Decoded text of the body's text parts, lower-cased. */
  bodyText(): Promise<string>;
}

/** Lower-casing both sides the same way keeps matching locale-independent. */
export function fold(value: string): string {
  return value.toLowerCase();
}

export async function matchesAll(subject: SearchSubject, nodes: SearchNode[]): Promise<boolean> {
  // cheap terms first: they often decide without touching the message bytes
  const ordered = [...nodes].sort((a, b) => cost(a) - cost(b));
  for (const node of ordered) {
    if (!(await matchesNode(subject, node))) return false;
  }
  return true;
}

function cost(node: SearchNode): number {
  if (Array.isArray(node)) return Math.max(0, ...node.map(cost));
  switch (node.key) {
    case 'header':
    case 'date':
      return 1;
    case 'body':
    case 'text':
      return 2;
    case 'not':
    case 'or':
      return 2;
    default:
      return 0;
  }
}

async function matchesNode(subject: SearchSubject, node: SearchNode): Promise<boolean> {
  if (Array.isArray(node)) return matchesAll(subject, node);
  switch (node.key) {
    case 'all':
    case 'charset':
      return true;
    case 'not':
      return !(await matchesNode(subject, node.value as SearchNode));
    case 'or': {
      const options = Array.isArray(node.value) ? (node.value as SearchNode[]) : [];
      for (const option of options) if (await matchesNode(subject, option)) return true;
      return false;
    }
    case 'flag': {
      const wanted = String(node.value ?? '');
      const has = subject.flags.some((f) => f.toLowerCase() === wanted.toLowerCase());
      return node.exists ? has : !has;
    }
    case 'uid':
      return Array.isArray(node.value) && (node.value as unknown[]).includes(subject.uid);
    case 'size': {
      const n = Number(node.value);
      if (node.operator === '<') return subject.size < n;
      if (node.operator === '>') return subject.size > n;
      return subject.size === n;
    }
    case 'modseq':
      return subject.modseq >= Number(node.value);
    case 'internaldate': {
      const wanted = searchDateDay(String(node.value ?? ''));
      return !!wanted && compareDays(instantDay(subject.internalDate), node.operator ?? '', wanted);
    }
    case 'date': {
      const wanted = searchDateDay(String(node.value ?? ''));
      const sent = headerDateDay(await subject.sentDate()) ?? instantDay(subject.internalDate);
      return !!wanted && compareDays(sent, node.operator ?? '', wanted);
    }
    case 'header': {
      const name = (node.header ?? '').toLowerCase();
      const term = fold(String(node.value ?? ''));
      const fields = await subject.headerFields();
      return fields.some((f) => f.name === name && (!term || f.value.includes(term)));
    }
    case 'body':
      return (await subject.bodyText()).includes(fold(String(node.value ?? '')));
    case 'text': {
      const term = fold(String(node.value ?? ''));
      const fields = await subject.headerFields();
      if (fields.some((f) => f.name.includes(term) || f.value.includes(term))) return true;
      return (await subject.bodyText()).includes(term);
    }
    default:
      return false;
  }
}
