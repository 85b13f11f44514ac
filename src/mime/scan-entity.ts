/**
 * Scans one MIME entity from a RangeSource without loading its body: header block,
 * Content-Type and, for multipart entities, the exact byte range of each top-level child.
 */
import { BoundaryScanner } from './boundary-scanner';
import { parseContentType, DEFAULT_CONTENT_TYPE } from './content-type';
import { MimeFormatError } from './errors';
import { getHeader, parseHeaderBlock } from './headers';
import { rangeChunks } from './sources';
import type { RangeSource, ScannedEntity } from './types';

export interface ScanOptions {
  /** The blank line must come within this many bytes (default 1 MiB). */
  maxHeaderBytes?: number;
  /**
   * Accept bare LF line ends in the header (files written by Unix tools). Off by default:
   * everything received over SMTP is CRLF, and a bare LF there is a format error.
   */
  allowBareLf?: boolean;
  /** Content-Type when the header has none (message/rfc822 for multipart/digest children). */
  defaultContentType?: string;
  /** Read the header only: no `parts`, the body is not scanned (a multipart still needs its boundary). */
  headerOnly?: boolean;
}

const DEFAULT_MAX_HEADER = 1024 * 1024;
const CR = 0x0d;
const LF = 0x0a;

/** Offset just after the blank line ending the header, or -1. */
function findHeaderEnd(buf: Buffer, from: number): number {
  if (from === 0) {
    if (buf[0] === LF) return 1;
    if (buf[0] === CR && buf[1] === LF) return 2;
  }
  let p = Math.max(0, from - 1);
  for (;;) {
    const lf = buf.indexOf(LF, p);
    if (lf === -1 || lf + 1 >= buf.length) return -1;
    if (buf[lf + 1] === LF) return lf + 2;
    if (buf[lf + 1] === CR) {
      if (lf + 2 >= buf.length) return -1;
      if (buf[lf + 2] === LF) return lf + 3;
    }
    p = lf + 1;
  }
}

async function readHeader(src: RangeSource, max: number): Promise<{ header: Buffer; headerEnd: number }> {
  const limit = Math.min(src.size, max);
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of rangeChunks(src, { start: 0, end: limit })) {
    const searchFrom = Math.max(0, buf.length - 2);
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const end = findHeaderEnd(buf, searchFrom);
    if (end !== -1) return { header: buf.subarray(0, end), headerEnd: end };
  }
  if (limit < src.size) throw new MimeFormatError(`no blank line ends the header within ${max} bytes`);
  throw new MimeFormatError('the entity has no blank line between header and body');
}

function hasBareLf(buf: Buffer): boolean {
  for (let p = buf.indexOf(LF); p !== -1; p = buf.indexOf(LF, p + 1)) if (p === 0 || buf[p - 1] !== CR) return true;
  return false;
}

export async function scanEntity(src: RangeSource, opts: ScanOptions = {}): Promise<ScannedEntity> {
  const { header, headerEnd } = await readHeader(src, opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER);
  if (!opts.allowBareLf && hasBareLf(header)) throw new MimeFormatError('bare LF line end in the header (CRLF expected)');
  const headers = parseHeaderBlock(header);
  const contentType = parseContentType(getHeader(headers, 'content-type'), opts.defaultContentType ?? DEFAULT_CONTENT_TYPE);
  if (contentType.type !== 'multipart') return { headerEnd, headers, contentType };

  const boundary = contentType.params.boundary;
  if (!boundary) throw new MimeFormatError(`${contentType.mime} without a boundary parameter`);
  if (boundary.length > 200 || /[\r\n]/.test(boundary)) throw new MimeFormatError('invalid multipart boundary');
  if (opts.headerOnly) return { headerEnd, headers, contentType };
  const scanner = new BoundaryScanner(boundary, headerEnd);
  for await (const chunk of rangeChunks(src, { start: headerEnd })) {
    scanner.push(chunk);
    if (scanner.closed) break; // the epilogue is not needed
  }
  const result = scanner.finish();
  if ('error' in result) throw new MimeFormatError(result.error);
  return { headerEnd, headers, contentType, parts: result.parts };
}
