/**
 * Which FETCH items hand over body content (interface.md "Read evidence"): BODY[...] and
 * BODY.PEEK[...] sections other than HEADER, HEADER.FIELDS(.NOT) and MIME, RFC822 and
 * RFC822.TEXT. Envelope, structure, size, flags and header-only items do not.
 */
import type { FetchQueryItem } from '@zone-eu/wildduck/imap-core';
import type { MessageRecord } from '../../store/types';

const HEADER_ONLY_SECTIONS = new Set(['header', 'header.fields', 'header.fields.not', 'mime']);

export function itemHandsOverContent(item: FetchQueryItem): boolean {
  switch (item.item) {
    case 'rfc822':
    case 'rfc822.text':
    case 'binary':
    case 'binary.peek':
      return true;
    case 'body':
      // BODY without a section is the structure; any section that is not header-only counts
      return item.type !== undefined && !HEADER_ONLY_SECTIONS.has(item.type);
    default:
      return false;
  }
}

export function queryHandsOverContent(query: FetchQueryItem[]): boolean {
  return query.some(itemHandsOverContent);
}

/** A dispatch read by the account it was delivered to: its retrieval must be recorded first. */
export function isRecordableRetrieval(message: MessageRecord, accountId: string, query: FetchQueryItem[]): boolean {
  return message.kind === 'dispatch' && message.accountId === accountId && queryHandsOverContent(query);
}
