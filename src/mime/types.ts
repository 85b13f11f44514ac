/** Shapes of the byte-exact MIME scanner. */
import type { Readable } from 'node:stream';

export interface ByteRange {
  /** First byte, inclusive. */
  start?: number;
  /** Last byte, exclusive. */
  end?: number;
}

/** Random access to a message's bytes (a PendingBlob, a file, a buffer). */
export interface RangeSource {
  size: number;
  read(range?: ByteRange): Promise<Buffer>;
  createReadStream(range?: ByteRange): Readable;
  /**
   * All the bytes, when the source holds them in memory: readers then take them as they are
   * instead of a stream (a stream per read of a small message costs more than the reading).
   */
  readonly bytes?: Buffer;
}

export interface HeaderField {
  /** Lower-case name, for lookups. */
  key: string;
  /** Name as written. */
  name: string;
  /** Unfolded value, surrounding whitespace trimmed, not decoded. */
  value: string;
  /** The field's exact bytes, folding and line ends included. */
  raw: Buffer;
}

export interface ContentType {
  type: string;
  subtype: string;
  /** Lower-case "type/subtype". */
  mime: string;
  /** Lower-case keys; RFC 2231 continuations and charsets decoded. */
  params: Record<string, string>;
}

/** A byte range inside the scanned source: [start, end). */
export interface PartRange {
  start: number;
  end: number;
}

export interface ScannedEntity {
  /** Offset where the body starts (after the blank line). */
  headerEnd: number;
  headers: HeaderField[];
  contentType: ContentType;
  /** For multipart entities: each top-level child exactly as RFC 2046 delimits it. */
  parts?: PartRange[];
}
