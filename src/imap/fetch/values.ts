/**
 * Builds the value of every FETCH item for one message, in query order, in the shapes imap-core's
 * `formatResponse` accepts. Body sections are byte ranges of the stored blob: read whole while
 * the message's inline budget lasts (small messages: one read, no stream), else streamed. Header
 * sections are small and answered as 'binary' strings (one char per byte, so literal lengths
 * are byte counts).
 */
import type { FetchQueryItem } from '@zone-eu/wildduck/imap-core';
import type { BlobStore, ByteRange, MessageRecord } from '../../store/types';
import { StoredMessageDamaged } from '../errors';
import type { MessageMeta } from '../message-meta';
import { resolveSection, type ByteSpan, type SectionType } from '../mime/part-map';
import { filterHeaderFields } from '../mime/header-fields';
import { LazyRangeStream } from './range-stream';
import { renderEnvelope, renderStructure } from './render';

export interface StreamValue {
  type: 'stream';
  value: LazyRangeStream;
  expectedLength: number;
}

/** A Buffer is body bytes read whole (exactly the literal to send). */
export type FetchValue = string | number | string[] | Date | unknown[] | Buffer | StreamValue;

export function isStreamValue(v: FetchValue): v is StreamValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v) && v.type === 'stream';
}

export interface ValueSources {
  blobs: BlobStore;
  /** Loads (or computes once) the parse results. */
  meta(): Promise<MessageMeta>;
  utf8: boolean;
  /**
   * Body bytes of this message that may be read into memory (sections in query order, each
   * whole or not at all); the rest is streamed. 0 or absent: every body section is streamed.
   */
  inlineBytes?: number;
}

interface Budget {
  left: number;
}

export async function buildFetchValues(record: MessageRecord, query: FetchQueryItem[], src: ValueSources): Promise<FetchValue[]> {
  const values: FetchValue[] = [];
  const budget: Budget = { left: src.inlineBytes ?? 0 };
  for (const item of query) values.push(await valueOf(record, item, src, budget));
  return values;
}

async function valueOf(record: MessageRecord, item: FetchQueryItem, src: ValueSources, budget: Budget): Promise<FetchValue> {
  const whole: ByteSpan = { start: 0, end: record.size };
  switch (item.item) {
    case 'uid':
      return record.uid;
    case 'modseq':
      return record.modseq;
    case 'flags':
      return record.flags;
    case 'internaldate':
      return record.internalDate;
    case 'rfc822.size':
      return record.size;
    case 'rfc822':
      return bytesOf(record, whole, undefined, src, budget);
    case 'envelope':
      return renderEnvelope((await src.meta()).envelope, src.utf8);
    case 'bodystructure':
      return renderStructure((await src.meta()).bodystructure, src.utf8);
    case 'rfc822.header':
      return sectionValue(record, item, 'header', '', src, budget);
    case 'rfc822.text':
      return sectionValue(record, item, 'text', '', src, budget);
    case 'body':
      if (item.type === undefined) return renderStructure((await src.meta()).body, src.utf8);
      if (item.type === 'content' && !item.path) return bytesOf(record, whole, item.partial, src, budget);
      return sectionValue(record, item, item.type as SectionType, item.path ?? '', src, budget);
    default:
      return '';
  }
}

async function sectionValue(
  record: MessageRecord,
  item: FetchQueryItem,
  type: SectionType,
  path: string,
  src: ValueSources,
  budget: Budget,
): Promise<FetchValue> {
  const meta = await src.meta();
  const section = resolveSection(meta.parts, path, type, record.size);
  if (!section) return '';
  if (!section.isHeader) return bytesOf(record, section.span, item.partial, src, budget);
  let block = await headerBlock(record, section.span, meta, src);
  if (type === 'header.fields' || type === 'header.fields.not') {
    block = filterHeaderFields(block, item.headers ?? [], type === 'header.fields.not');
  }
  return partialString(block, item.partial);
}

async function headerBlock(record: MessageRecord, span: ByteSpan, meta: MessageMeta, src: ValueSources): Promise<Buffer> {
  if (meta.header && span.start === meta.parts.headerStart && span.end === meta.parts.bodyStart) return meta.header;
  if (span.end <= span.start) return Buffer.alloc(0);
  return src.blobs.read(record.blobHash, span);
}

function partialString(block: Buffer, partial: FetchQueryItem['partial']): string {
  const from = partial ? Math.min(partial.startFrom, block.length) : 0;
  const to = partial && partial.maxLength ? Math.min(block.length, from + partial.maxLength) : block.length;
  return block.toString('latin1', from, to);
}

/**
 * A span (after the partial window): read whole while the budget lasts, else a lazily opened
 * blob stream; empty spans as ''.
 */
async function bytesOf(record: MessageRecord, span: ByteSpan, partial: FetchQueryItem['partial'], src: ValueSources, budget: Budget): Promise<FetchValue> {
  let start = span.start;
  let end = span.end;
  if (partial) {
    start = Math.min(end, span.start + partial.startFrom);
    if (partial.maxLength) end = Math.min(end, start + partial.maxLength);
  }
  if (end <= start) return '';
  const range = { start, end };
  if (end - start <= budget.left) {
    budget.left -= end - start;
    return readWhole(src.blobs, record, range);
  }
  return {
    type: 'stream',
    value: new LazyRangeStream(() => src.blobs.createReadStream(record.blobHash, range)),
    expectedLength: end - start,
  };
}

/** The literal announces its length before the bytes: fewer bytes than recorded cannot be sent. */
async function readWhole(blobs: BlobStore, record: MessageRecord, range: Required<ByteRange>): Promise<Buffer> {
  const bytes = await blobs.read(record.blobHash, range);
  if (bytes.length !== range.end - range.start) throw new StoredMessageDamaged(record.id, range.end - range.start, bytes.length);
  return bytes;
}
