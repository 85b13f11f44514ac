/**
 * Lazily loads what SEARCH needs from a stored message: root header fields (decoded for
 * matching), the Date header and the decoded text of its text parts.
 */
import type { BlobStore, MessageRecord } from '../../store/types';
import type { MessageMeta, MessageMetaCache } from '../message-meta';
import { splitHeaderFields } from '../mime/header-fields';
import { decodeCharset, decodeEncodedWords, decodeTransferEncoding } from '../mime/decode';
import { leafParts } from '../mime/part-map';
import { fold, type SearchSubject } from './match';

/** Text searched per part and per message; beyond this a BODY/TEXT term does not look. */
const MAX_PART_TEXT = 4 * 1024 * 1024;
const MAX_MESSAGE_TEXT = 16 * 1024 * 1024;

export function searchSubject(record: MessageRecord, deps: { blobs: BlobStore; meta: MessageMetaCache }): SearchSubject {
  let metaPromise: Promise<MessageMeta> | undefined;
  let fieldsPromise: Promise<Array<{ name: string; value: string }>> | undefined;
  let bodyPromise: Promise<string> | undefined;
  const meta = (): Promise<MessageMeta> => (metaPromise ??= deps.meta.get(record));

  return {
    uid: record.uid,
    flags: record.flags,
    internalDate: record.internalDate,
    size: record.size,
    modseq: record.modseq,
    headerFields: () =>
      (fieldsPromise ??= (async () => {
        const m = await meta();
        const block = m.header ?? (await deps.blobs.read(record.blobHash, { start: m.parts.headerStart, end: m.parts.bodyStart }));
        return splitHeaderFields(block).map((f) => ({ name: f.name, value: fold(searchableValue(f.raw)) }));
      })()),
    sentDate: async () => (await meta()).date,
    bodyText: () => (bodyPromise ??= readBodyText(record, deps.blobs, meta)),
  };
}

/** The unfolded value both as written (UTF-8 bytes allowed) and with encoded words decoded. */
function searchableValue(raw: Buffer): string {
  const colon = raw.indexOf(0x3a);
  const value = raw
    .subarray(colon < 0 ? raw.length : colon + 1)
    .toString('utf8')
    .replace(/\r?\n(?=[ \t])/g, '')
    .trim();
  return `${value}\n${decodeEncodedWords(value)}`;
}

async function readBodyText(record: MessageRecord, blobs: BlobStore, meta: () => Promise<MessageMeta>): Promise<string> {
  const m = await meta();
  const texts: string[] = [];
  let budget = MAX_MESSAGE_TEXT;
  for (const part of leafParts(m.parts)) {
    if (!part.contentType.startsWith('text/') || budget <= 0) continue;
    const length = Math.min(part.bodyEnd - part.bodyStart, MAX_PART_TEXT, budget);
    if (length <= 0) continue;
    budget -= length;
    const raw = await blobs.read(record.blobHash, { start: part.bodyStart, end: part.bodyStart + length });
    const bytes = decodeTransferEncoding(raw, part.encoding);
    texts.push(decodeCharset(bytes, part.charset) ?? bytes.toString('latin1'));
  }
  return fold(texts.join('\n'));
}
